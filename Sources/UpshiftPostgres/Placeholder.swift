// UpshiftPostgres
