// UpshiftPlan
