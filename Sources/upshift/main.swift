print("upshift")
