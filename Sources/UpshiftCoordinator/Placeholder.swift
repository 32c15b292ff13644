// UpshiftCoordinator
