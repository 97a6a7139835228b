"""Sources of application records: the platform's database (sql), export files, the demo."""
