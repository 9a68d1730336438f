-- Every SQL example of the design document (shared/seeds/004_35b8822a42a39f01.txt), as written.
CREATE TABLESPACE secure_data
ENCRYPTION USING 'AES256'
KEY_ID 'master_key_001';
CREATE TABLE users (
user_id BIGINT,
ssn VARCHAR(11),
credit_card VARCHAR(16)
) TABLESPACE secure_data;
CREATE TABLE users (
user_id BIGINT,
username VARCHAR(255),
ssn VARCHAR(11) ENCRYPTED, -- Encrypted with TEK
credit_card VARCHAR(16) ENCRYPTED, -- Encrypted with TEK
email VARCHAR(255) -- Not encrypted
);
-- Create a realm for PII data
CREATE REALM pii_protection
DESCRIPTION 'Protects personally identifiable information'
REQUIRE VAULT PASSWORD;
ALTER REALM pii_protection ADD TABLE users;
ALTER REALM pii_protection ADD TABLE customer_profiles;
CONNECT dba_user / dba_password;
SELECT * FROM users; -- ERROR: Vault password required
UNLOCK REALM pii_protection PASSWORD 'vault_secret_2025';
SELECT * FROM users; -- SUCCESS
CREATE REALM finance_data
OWNER security_admin
REQUIRE VAULT PASSWORD;
CREATE COMMAND RULE no_drop_pii
FOR DELETE ON TABLE users
DENY FROM ROLE dba, sysadmin
MESSAGE 'PII tables cannot be dropped without approval';
CREATE COMMAND RULE no_export_ssn
FOR SELECT ON COLUMN users.ssn
DENY WHEN program_name = 'export_tool'
MESSAGE 'SSN export requires security team approval';
CREATE COMMAND RULE business_hours_only
FOR SELECT ON TABLE financial_records
DENY WHEN HOUR(CURRENT_TIMESTAMP) NOT BETWEEN 9 AND 17
MESSAGE 'Financial data accessible only during business hours';
GRANT VAULT PASSWORD ON REALM pii_protection
TO dba_alice
VALID FOR INTERVAL '2 HOURS';
CONNECT dba_alice / dba_password;
UNLOCK REALM pii_protection PASSWORD 'temp_vault_xyz';
SELECT * FROM users WHERE user_id = 12345;
BACKUP DATABASE TO '/backups/prod_2025_10_11.enc'
ENCRYPTED WITH KEY 'master_key_001';
RESTORE DATABASE FROM '/backups/prod_2025_10_11.enc'
DECRYPT WITH KEY 'master_key_001'
VAULT PASSWORD 'vault_restore_secret';
EMERGENCY UNLOCK REALM pii_protection
AUTHORIZED BY security_officer
REASON 'Production outage - ticket INC-2025-10-11-001'
VALID FOR INTERVAL '1 HOUR';
ALTER TABLE users ROTATE ENCRYPTION KEY;
ALTER DATABASE ROTATE MASTER KEY;
CREATE MASTER KEY ENCRYPTION BY HSM
KEY_ID 'master_key_prod_001';
ALTER TABLESPACE users_data
ENABLE ENCRYPTION USING 'AES256';
SELECT * FROM system.encryption_progress;
ALTER DATABASE ENABLE DATABASE VAULT;
CREATE ROLE vault_admin;
GRANT VAULT_ADMIN TO security_team;
CREATE REALM pii_protection OWNER security_team;
