-- Who has read (acknowledged) which notification, and when: one row per reader, written once.
CREATE TABLE notification_reads (
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    read_at         TEXT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
