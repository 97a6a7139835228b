-- The store schema of slamon 0.1.0 (git 9382f49) on postgresql: CREATE TABLE/INDEX as its SQLModel
-- models made them (compiled from `git show 9382f49:slamon/adapters/store/models.py`).
-- tests/test_store_migrations.py builds a store of the previous release from it.
CREATE TABLE application (
	application_id VARCHAR(128) NOT NULL, 
	applicant_dept VARCHAR(200) NOT NULL, 
	provider_dept VARCHAR(200) NOT NULL, 
	resource_name VARCHAR(500) NOT NULL, 
	share_type VARCHAR(16) NOT NULL, 
	submitted_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	review_status VARCHAR(16) NOT NULL, 
	reviewed_at TIMESTAMP WITH TIME ZONE, 
	received_at TIMESTAMP WITH TIME ZONE, 
	decision VARCHAR(16) NOT NULL, 
	decided_at TIMESTAMP WITH TIME ZONE, 
	applicant_region VARCHAR(100), 
	provider_region VARCHAR(100), 
	extension_working_days INTEGER, 
	extension_approved_at TIMESTAMP WITH TIME ZONE, 
	rejection_reason TEXT, 
	updated_at TIMESTAMP WITH TIME ZONE, 
	content_hash VARCHAR(32) NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	last_changed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (application_id)
);
CREATE INDEX ix_application_applicant_dept ON application (applicant_dept);
CREATE INDEX ix_application_decided_at ON application (decided_at);
CREATE INDEX ix_application_provider_dept ON application (provider_dept);
CREATE INDEX ix_application_submitted_at ON application (submitted_at);
CREATE TABLE application_event (
	id SERIAL NOT NULL, 
	application_id VARCHAR(128) NOT NULL, 
	poll_run_id INTEGER, 
	observed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	review_status VARCHAR(16) NOT NULL, 
	decision VARCHAR(16) NOT NULL, 
	received_at TIMESTAMP WITH TIME ZONE, 
	decided_at TIMESTAMP WITH TIME ZONE, 
	changes TEXT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_application_event_application_id ON application_event (application_id);
CREATE INDEX ix_application_event_poll_run_id ON application_event (poll_run_id);
CREATE TABLE application_history (
	application_id VARCHAR(128) NOT NULL, 
	answer_decision VARCHAR(16), 
	answer_decided_at TIMESTAMP WITH TIME ZONE, 
	changed_decision VARCHAR(16), 
	changed_decided_at TIMESTAMP WITH TIME ZONE, 
	restart_at TIMESTAMP WITH TIME ZONE, 
	restart_reason VARCHAR(16), 
	previous_provider VARCHAR(200), 
	previous_decision VARCHAR(16), 
	previous_decided_at TIMESTAMP WITH TIME ZONE, 
	written_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (application_id)
);
CREATE TABLE data_issue (
	id SERIAL NOT NULL, 
	application_id VARCHAR(128) NOT NULL, 
	reason VARCHAR(32) NOT NULL, 
	detail TEXT NOT NULL, 
	since TIMESTAMP WITH TIME ZONE NOT NULL, 
	last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	poll_run_id INTEGER, 
	cleared_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_data_issue_application_id ON data_issue (application_id);
CREATE INDEX ix_data_issue_cleared_at ON data_issue (cleared_at);
CREATE TABLE deadline_change (
	id SERIAL NOT NULL, 
	application_id VARCHAR(128) NOT NULL, 
	old_deadline TIMESTAMP WITH TIME ZONE, 
	new_deadline TIMESTAMP WITH TIME ZONE, 
	old_rule_id VARCHAR(64), 
	new_rule_id VARCHAR(64), 
	old_fingerprint VARCHAR(32) NOT NULL, 
	new_fingerprint VARCHAR(32) NOT NULL, 
	changed_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_deadline_change_application_id ON deadline_change (application_id);
CREATE TABLE exemption (
	id SERIAL NOT NULL, 
	application_id VARCHAR(128) NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	reason TEXT NOT NULL, 
	by VARCHAR(200) NOT NULL, 
	at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_exemption_application_id ON exemption (application_id);
CREATE TABLE imported_file (
	sha256 VARCHAR(64) NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	imported_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	poll_run_id INTEGER, 
	PRIMARY KEY (sha256)
);
CREATE TABLE lease (
	name VARCHAR(64) NOT NULL, 
	holder VARCHAR(200) NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE outbox (
	id SERIAL NOT NULL, 
	key VARCHAR(300) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	department VARCHAR(200), 
	working_day DATE NOT NULL, 
	recipients TEXT NOT NULL, 
	subject TEXT NOT NULL, 
	body_text TEXT NOT NULL, 
	body_html TEXT NOT NULL, 
	items TEXT NOT NULL, 
	unassigned BOOLEAN NOT NULL, 
	message_id VARCHAR(300) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	unknown_outcomes INTEGER NOT NULL, 
	not_before TIMESTAMP WITH TIME ZONE NOT NULL, 
	claimed_by VARCHAR(200), 
	claimed_at TIMESTAMP WITH TIME ZONE, 
	sent_at TIMESTAMP WITH TIME ZONE, 
	last_error TEXT, 
	refused TEXT, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (key)
);
CREATE INDEX ix_outbox_department ON outbox (department);
CREATE INDEX ix_outbox_kind_working_day ON outbox (kind, working_day);
CREATE INDEX ix_outbox_status_not_before ON outbox (status, not_before);
CREATE TABLE poll_run (
	id SERIAL NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	status VARCHAR(16) NOT NULL, 
	fetched INTEGER NOT NULL, 
	inserted INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	unchanged INTEGER NOT NULL, 
	rejected INTEGER NOT NULL, 
	error TEXT, 
	PRIMARY KEY (id)
);
CREATE TABLE rejected_row (
	id SERIAL NOT NULL, 
	source VARCHAR(200) NOT NULL, 
	row_ref VARCHAR(200) NOT NULL, 
	field VARCHAR(64) NOT NULL, 
	message TEXT NOT NULL, 
	raw TEXT NOT NULL, 
	first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	poll_run_id INTEGER, 
	application_id VARCHAR(128), 
	settled_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_rejected_row UNIQUE (source, row_ref, field)
);
CREATE INDEX ix_rejected_row_application_id ON rejected_row (application_id);
CREATE TABLE sla_state (
	application_id VARCHAR(128) NOT NULL, 
	stage VARCHAR(20) NOT NULL, 
	rule_id VARCHAR(64), 
	deadline TIMESTAMP WITH TIME ZONE, 
	deadline_date DATE, 
	overdue_working_days INTEGER NOT NULL, 
	answer_working_days INTEGER, 
	calendar_official BOOLEAN NOT NULL, 
	fingerprint VARCHAR(32) NOT NULL, 
	evaluated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE, 
	start_event VARCHAR(16), 
	extended_by INTEGER, 
	flags VARCHAR(200), 
	PRIMARY KEY (application_id)
);
CREATE INDEX ix_sla_state_deadline_date ON sla_state (deadline_date);
CREATE INDEX ix_sla_state_stage ON sla_state (stage);
CREATE TABLE slamon_meta (
	key VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY (key)
);
CREATE TABLE web_session (
	id SERIAL NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	user_name VARCHAR(64) NOT NULL, 
	credential VARCHAR(64) NOT NULL, 
	csrf VARCHAR(64) NOT NULL, 
	client VARCHAR(64) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	revoked_at TIMESTAMP WITH TIME ZONE, 
	revoked_reason VARCHAR(32), 
	flash TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (token_hash)
);
CREATE INDEX ix_web_session_expires_at ON web_session (expires_at);
CREATE INDEX ix_web_session_user_name ON web_session (user_name);
