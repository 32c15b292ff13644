// UpshiftAgent
