// UpshiftLua
