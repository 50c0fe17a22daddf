-- A database as the hand-written migration runner (before Alembic) left it at version 2,
-- with a little data. Written out by hand from that release's tables; never import old code.
CREATE TABLE schema_migrations (
	version INTEGER NOT NULL,
	name VARCHAR(100) NOT NULL,
	applied_at DATETIME NOT NULL,
	PRIMARY KEY (version)
);
CREATE TABLE settings (
	"key" VARCHAR(100) NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
);
CREATE TABLE question_log (
	id INTEGER NOT NULL,
	asked_at DATETIME NOT NULL,
	platform VARCHAR(32) NOT NULL,
	workspace VARCHAR(64),
	channel VARCHAR(64),
	user_hash VARCHAR(64),
	question VARCHAR(2000) NOT NULL,
	outcome VARCHAR(16) NOT NULL,
	entry_id VARCHAR(300),
	score FLOAT NOT NULL,
	latency_ms FLOAT NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_question_log_asked_at ON question_log (asked_at);
CREATE TABLE feedback (
	id INTEGER NOT NULL,
	log_id INTEGER NOT NULL,
	user_hash VARCHAR(64) NOT NULL,
	vote VARCHAR(8) NOT NULL,
	voted_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_feedback_log_user UNIQUE (log_id, user_hash),
	FOREIGN KEY(log_id) REFERENCES question_log (id) ON DELETE CASCADE
);
CREATE TABLE processed_events (
	id INTEGER NOT NULL,
	platform VARCHAR(32) NOT NULL,
	event_id VARCHAR(200) NOT NULL,
	claimed_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_processed_events_key UNIQUE (platform, event_id)
);
CREATE INDEX ix_processed_events_claimed_at ON processed_events (claimed_at);
CREATE TABLE tip_posts (
	id INTEGER NOT NULL,
	platform VARCHAR(32) NOT NULL,
	channel VARCHAR(64) NOT NULL,
	iso_week VARCHAR(10) NOT NULL,
	entry_id VARCHAR(300) NOT NULL,
	claim_token VARCHAR(40) NOT NULL,
	claimed_at DATETIME NOT NULL,
	posted_at DATETIME,
	message_ref VARCHAR(200),
	PRIMARY KEY (id),
	CONSTRAINT uq_tip_posts_week UNIQUE (platform, channel, iso_week)
);
INSERT INTO schema_migrations VALUES (1, 'question log, feedback and settings', '2026-01-05 10:00:00.000000');
INSERT INTO schema_migrations VALUES (2, 'processed events and weekly tip posts', '2026-03-02 10:00:00.000000');
INSERT INTO settings VALUES ('user_id_salt', 'legacy-salt');
INSERT INTO question_log (asked_at, platform, workspace, channel, user_hash, question, outcome, entry_id, score, latency_ms)
	VALUES ('2026-11-20 09:00:00.000000', 'slack', 'T1', 'C1', 'h1', 'old answered?', 'answered', 'webinars/01-test#q1', 0.9, 4.0);
INSERT INTO question_log (asked_at, platform, workspace, channel, user_hash, question, outcome, entry_id, score, latency_ms)
	VALUES ('2026-11-21 09:00:00.000000', 'discord', 'G1', 'C9', 'h2', 'old abstained?', 'abstained', NULL, 0.1, 3.0);
INSERT INTO feedback (log_id, user_hash, vote, voted_at) VALUES (1, 'h2', 'down', '2026-11-20 09:01:00.000000');
INSERT INTO processed_events (platform, event_id, claimed_at) VALUES ('slack', 'Ev-legacy', '2026-11-20 09:00:00.000000');
INSERT INTO tip_posts (platform, channel, iso_week, entry_id, claim_token, claimed_at, posted_at, message_ref)
	VALUES ('slack', 'C1', '2026-W47', 'webinars/01-test#q1', 'token', '2026-11-16 08:00:00.000000', '2026-11-16 08:00:01.000000', '1700000000.000100');
