// The SQL extension of dbvault: realms, vault passwords, command rules, emergency unlock,
// accounts and grants, keys and encryption, audit holds. Ordinary SQL (SELECT, INSERT,
// plain CREATE TABLE, ...) never reaches this grammar: the classifier routes it to the
// engine. docs/sql-reference.md documents every statement.
//
// Built with the Debian antlr4 tool (4.7.2) against the 4.9 C++ runtime. Keywords are
// case-insensitive through letter fragments (the caseInsensitive option needs 4.10).
grammar VaultSql;

singleStatement : statement SEMI? EOF ;

statement
    : createRealm | alterRealm | dropRealm | unlockRealm | lockRealm
    | grantVaultPassword | revokeVaultPassword | revokeVaultToken
    | emergencyUnlock | decideEmergencyUnlock | reviewEmergencyUnlock
    | createCommandRule | alterCommandRule | dropCommandRule | createRuleSet | dropRuleSet
    | alterDatabase | createMasterKey
    | createUser | alterUser | dropUser | createRole | dropRole
    | grantPrivileges | revokePrivileges | grantRole | revokeRole
    | explainVault
    | createTablespace | alterTablespace | dropTablespace
    | createTable | alterTable
    | backupDatabase | restoreDatabase
    | createAuditHold | dropAuditHold | verifyAuditLog
    | connect
    ;

// ---- Realms and access ----------------------------------------------------------------
createRealm : CREATE REALM name=identifier realmOption* ;
realmOption
    : DESCRIPTION string                    # realmDescription
    | OWNER identifier                      # realmOwner
    | REQUIRE VAULT PASSWORD string?        # realmRequirePassword
    | MANDATORY                             # realmMandatory
    | REGULAR                               # realmRegular
    | objectState                           # realmState
    | TABLESPACE tablespace=identifier (ENCRYPTION USING string)?  # realmTablespace
    ;
objectState : ENABLED | DISABLED | SIMULATION ;

alterRealm
    : ALTER REALM realm=identifier (ADD | REMOVE) realmObject (COMMA realmObject)*     # alterRealmObjects
    | ALTER REALM realm=identifier AUTHORIZE principalKind name=identifier
          (AS (PARTICIPANT | OWNER))?                                                 # alterRealmAuthorize
    | ALTER REALM realm=identifier UNAUTHORIZE principalKind name=identifier           # alterRealmUnauthorize
    | ALTER REALM realm=identifier SET realmSetting                                   # alterRealmSet
    ;
realmObject : TABLE objectName | COLUMN columnName ;
realmSetting
    : OWNER identifier
    | DESCRIPTION string
    | VAULT PASSWORD string
    | objectState
    ;
principalKind : USER | ROLE ;

dropRealm : DROP REALM ifExists? identifier ;
ifExists : IF EXISTS ;

unlockRealm : UNLOCK REALM identifier (PASSWORD | TOKEN) string ;
lockRealm : LOCK REALM identifier | LOCK ALL REALMS ;

grantVaultPassword : GRANT VAULT PASSWORD ON REALM realm=identifier TO user=identifier VALID FOR interval ;
revokeVaultPassword : REVOKE VAULT PASSWORD ON REALM realm=identifier FROM user=identifier ;
revokeVaultToken : REVOKE VAULT TOKEN string ;
interval : INTERVAL? string ;

emergencyUnlock
    : EMERGENCY UNLOCK REALM realm=identifier AUTHORIZED BY authorizer=identifier
      REASON string VALID FOR interval ;
decideEmergencyUnlock : (APPROVE | REJECT) EMERGENCY UNLOCK string ;
reviewEmergencyUnlock : REVIEW EMERGENCY UNLOCK id=string NOTES notes=string ;

// ---- Command rules and rule sets --------------------------------------------------------
createCommandRule
    : CREATE COMMAND RULE name=identifier FOR command (COMMA command)* ON ruleTarget ruleAction ruleOption* ;
command
    : SELECT | INSERT | UPDATE | DELETE | DROP | TRUNCATE | ALTER | CREATE | GRANT | CONNECT
    | EXPORT | ALL ;
ruleTarget : TABLE objectName | COLUMN columnName | REALM identifier | ANY ;
ruleAction
    : DENY FROM principalKind identifier (COMMA principal)* (WHEN expr)?  # denyFrom
    | DENY WHEN expr                                        # denyWhen
    | ALLOW ONLY WHEN expr                                  # allowOnlyWhen
    ;
principal : principalKind? identifier ;  // without a kind: the kind of the one before
ruleOption : MESSAGE string | objectState ;

alterCommandRule
    : ALTER COMMAND RULE identifier
      (ENABLE | DISABLE | SET (ENABLED | DISABLED | SIMULATION | MESSAGE string)) ;
dropCommandRule : DROP COMMAND RULE ifExists? identifier ;
createRuleSet : CREATE RULE SET identifier (ALL | ANY) LPAREN expr (COMMA expr)* RPAREN ;
dropRuleSet : DROP RULE SET ifExists? identifier ;

// ---- Rule expressions: OR < AND < NOT < predicates ------------------------------------
expr : orExpr ;
orExpr : andExpr (OR andExpr)* ;
andExpr : notExpr (AND notExpr)* ;
notExpr : NOT notExpr | predicate ;
predicate
    : valueExpr comparisonOp valueExpr                                 # comparison
    | valueExpr NOT? BETWEEN valueExpr AND valueExpr                   # between
    | valueExpr NOT? IN LPAREN valueExpr (COMMA valueExpr)* RPAREN     # inList
    | valueExpr NOT? LIKE valueExpr                                    # like
    | valueExpr IS NOT? NULL_                                           # isNull
    | valueExpr                                                        # plainValue
    ;
comparisonOp : EQ | NEQ | LT | LE | GT | GE ;
valueExpr
    : literal                                             # literalValue
    | identifier LPAREN (expr (COMMA expr)*)? RPAREN      # functionCall
    | identifier                                          # factorRef
    | LPAREN expr RPAREN                                  # parenthesized
    ;
literal : string | MINUS? INTEGER | TRUE | FALSE | NULL_ ;

// ---- Vault administration, accounts, RBAC ----------------------------------------------
// ALTER DATABASE {ENABLE | DISABLE} DATABASE VAULT, or ROTATE MASTER KEY [TO KEY_ID 'id'].
// One rule so that errors after ALTER DATABASE name what may follow it.
alterDatabase
    : ALTER DATABASE ((ENABLE | DISABLE) DATABASE VAULT | ROTATE MASTER KEY (TO KEY_ID string)?) ;
createUser : CREATE USER identifier WITH? PASSWORD string ;
alterUser : ALTER USER identifier WITH? PASSWORD string ;
dropUser : DROP USER ifExists? identifier CASCADE? ;
createRole : CREATE ROLE identifier ;
dropRole : DROP ROLE ifExists? identifier CASCADE? ;
grantRole : GRANT role=identifier TO grantee=identifier ;
revokeRole : REVOKE role=identifier FROM grantee=identifier ;
grantPrivileges : GRANT privilege (COMMA privilege)* ON TABLE? objectName TO identifier ;
revokePrivileges : REVOKE privilege (COMMA privilege)* ON TABLE? objectName FROM identifier ;
privilege : SELECT | INSERT | UPDATE | DELETE | ALL PRIVILEGES? ;
explainVault : EXPLAIN VAULT explained ;
explained : .+? ;  // any statement; kept as text and parsed again by itself

// ---- Keys and encryption ----------------------------------------------------------------
createMasterKey : CREATE MASTER KEY ENCRYPTION BY (HSM | KMS | FILE | ENV) KEY_ID string ;
createTablespace : CREATE TABLESPACE identifier ENCRYPTION USING string (KEY_ID string)? ;
alterTablespace : ALTER TABLESPACE identifier (ENABLE ENCRYPTION USING string | ROTATE ENCRYPTION KEY) ;
dropTablespace : DROP TABLESPACE ifExists? identifier ;

// CREATE TABLE with ENCRYPTED columns or a TABLESPACE clause. Only the column names, the
// ENCRYPTED markers and the tablespace are interpreted; the rest goes to the engine as text.
createTable : CREATE (TEMP | TEMPORARY)? TABLE (IF NOT EXISTS)? objectName LPAREN tableElement (COMMA tableElement)* RPAREN tableTail* ;
tableElement : elementPart+ ;
elementPart : LPAREN balanced* RPAREN | ~(COMMA | LPAREN | RPAREN | SEMI) ;
balanced : LPAREN balanced* RPAREN | ~(LPAREN | RPAREN) ;
tableTail : TABLESPACE identifier | ~(TABLESPACE | SEMI) ;

alterTable : ALTER TABLE objectName (ROTATE ENCRYPTION KEY | ALTER COLUMN? identifier columnAction) ;
columnAction
    : SET ENCRYPTED WITH LPAREN encryptionParam (COMMA encryptionParam)* RPAREN    # setColumnEncryption
    | SET MASKING maskingMode forRole?                                             # setColumnMasking
    | DROP MASKING forRole?                                                        # dropColumnMasking
    ;
encryptionParam
    : TYPE EQ (DETERMINISTIC | RANDOMIZED)
    | KEY_ID EQ string
    | ALG EQ string
    ;
maskingMode : FULL | PARTIAL | HASH | NULL_ ;
forRole : FOR ROLE identifier ;

backupDatabase : BACKUP DATABASE TO string ENCRYPTED WITH KEY string ;
restoreDatabase : RESTORE DATABASE FROM string DECRYPT WITH KEY string VAULT PASSWORD string ;

// ---- Audit --------------------------------------------------------------------------------
createAuditHold : CREATE AUDIT HOLD identifier FROM string TO string REASON string ;
dropAuditHold : DROP AUDIT HOLD ifExists? identifier ;
verifyAuditLog : VERIFY AUDIT LOG ;

// The design document's SQL*Plus-style line; the server answers that it is a client command.
connect : CONNECT identifier (SLASH (identifier | string))? ;

// ---- Names ----------------------------------------------------------------------------------
objectName : identifier (DOT identifier)? ;
columnName : identifier DOT identifier (DOT identifier)? ;
string : STRING ;
identifier : IDENT | QUOTED_IDENT | nonReserved ;

// Keywords that may also name things. Reserved: the expression operators and literals
// (AND OR NOT NULL TRUE FALSE IS IN LIKE BETWEEN) and the privileges (SELECT INSERT UPDATE
// DELETE ALL), which would otherwise make GRANT ambiguous.
nonReserved
    : ADD | ALG | ALLOW | ALTER | ANY | APPROVE | AS | AUDIT | AUTHORIZE | AUTHORIZED | BACKUP
    | BY | CASCADE | COLUMN | COMMAND | CONNECT | CREATE | DATABASE | DECRYPT | DENY | DESCRIPTION
    | DETERMINISTIC | DISABLE | DISABLED | DROP | EMERGENCY | ENABLE | ENABLED | ENCRYPTED
    | ENCRYPTION | ENV | EXISTS | EXPLAIN | EXPORT | FILE | FOR | FROM | FULL | GRANT | HASH
    | HOLD | HSM | IF | INTERVAL | KEY | KEY_ID | KMS | LOCK | LOG | MANDATORY | MASKING
    | MASTER | MESSAGE | NOTES | ON | ONLY | OWNER | PARTIAL | PARTICIPANT | PASSWORD
    | PRIVILEGES | RANDOMIZED | REALM | REALMS | REASON | REGULAR | REJECT | REMOVE | REQUIRE
    | RESTORE | REVIEW | REVOKE | ROLE | ROTATE | RULE | SET | SIMULATION | TABLE | TABLESPACE
    | TEMP | TEMPORARY | TO | TOKEN | TRUNCATE | TYPE | UNAUTHORIZE | UNLOCK | USER | USING | VALID | VAULT
    | VERIFY | WHEN | WITH
    ;

// ---- Lexer ------------------------------------------------------------------------------------
ADD : A D D ;
ALG : A L G ;
ALL : A L L ;
ALLOW : A L L O W ;
ALTER : A L T E R ;
AND : A N D ;
ANY : A N Y ;
APPROVE : A P P R O V E ;
AS : A S ;
AUDIT : A U D I T ;
AUTHORIZE : A U T H O R I Z E ;
AUTHORIZED : A U T H O R I Z E D ;
BACKUP : B A C K U P ;
BETWEEN : B E T W E E N ;
BY : B Y ;
CASCADE : C A S C A D E ;
COLUMN : C O L U M N ;
COMMAND : C O M M A N D ;
CONNECT : C O N N E C T ;
CREATE : C R E A T E ;
DATABASE : D A T A B A S E ;
DECRYPT : D E C R Y P T ;
DELETE : D E L E T E ;
DENY : D E N Y ;
DESCRIPTION : D E S C R I P T I O N ;
DETERMINISTIC : D E T E R M I N I S T I C ;
DISABLE : D I S A B L E ;
DISABLED : D I S A B L E D ;
DROP : D R O P ;
EMERGENCY : E M E R G E N C Y ;
ENABLE : E N A B L E ;
ENABLED : E N A B L E D ;
ENCRYPTED : E N C R Y P T E D ;
ENCRYPTION : E N C R Y P T I O N ;
ENV : E N V ;
EXISTS : E X I S T S ;
EXPLAIN : E X P L A I N ;
EXPORT : E X P O R T ;
FALSE : F A L S E ;
FILE : F I L E ;
FOR : F O R ;
FROM : F R O M ;
FULL : F U L L ;
GRANT : G R A N T ;
HASH : H A S H ;
HOLD : H O L D ;
HSM : H S M ;
IF : I F ;
IN : I N ;
INSERT : I N S E R T ;
INTERVAL : I N T E R V A L ;
IS : I S ;
KEY : K E Y ;
KEY_ID : K E Y '_' I D ;
KMS : K M S ;
LIKE : L I K E ;
LOCK : L O C K ;
LOG : L O G ;
MANDATORY : M A N D A T O R Y ;
MASKING : M A S K I N G ;
MASTER : M A S T E R ;
MESSAGE : M E S S A G E ;
NOT : N O T ;
NOTES : N O T E S ;
NULL_ : N U L L ;  // NULL is a C macro
ON : O N ;
ONLY : O N L Y ;
OR : O R ;
OWNER : O W N E R ;
PARTIAL : P A R T I A L ;
PARTICIPANT : P A R T I C I P A N T ;
PASSWORD : P A S S W O R D ;
PRIVILEGES : P R I V I L E G E S ;
RANDOMIZED : R A N D O M I Z E D ;
REALM : R E A L M ;
REALMS : R E A L M S ;
REASON : R E A S O N ;
REGULAR : R E G U L A R ;
REJECT : R E J E C T ;
REMOVE : R E M O V E ;
REQUIRE : R E Q U I R E ;
RESTORE : R E S T O R E ;
REVIEW : R E V I E W ;
REVOKE : R E V O K E ;
ROLE : R O L E ;
ROTATE : R O T A T E ;
RULE : R U L E ;
SELECT : S E L E C T ;
SET : S E T ;
SIMULATION : S I M U L A T I O N ;
TABLE : T A B L E ;
TABLESPACE : T A B L E S P A C E ;
TEMP : T E M P ;
TEMPORARY : T E M P O R A R Y ;
TO : T O ;
TOKEN : T O K E N ;
TRUE : T R U E ;
TRUNCATE : T R U N C A T E ;
TYPE : T Y P E ;
UNAUTHORIZE : U N A U T H O R I Z E ;
UNLOCK : U N L O C K ;
UPDATE : U P D A T E ;
USER : U S E R ;
USING : U S I N G ;
VALID : V A L I D ;
VAULT : V A U L T ;
VERIFY : V E R I F Y ;
WHEN : W H E N ;
WITH : W I T H ;

SEMI : ';' ;
COMMA : ',' ;
DOT : '.' ;
LPAREN : '(' ;
RPAREN : ')' ;
EQ : '=' ;
NEQ : '<>' | '!=' ;
LE : '<=' ;
GE : '>=' ;
LT : '<' ;
GT : '>' ;
MINUS : '-' ;
SLASH : '/' ;

STRING : '\'' ( ~'\'' | '\'\'' )* '\'' ;
QUOTED_IDENT : '"' ( ~'"' | '""' )* '"' ;
INTEGER : [0-9]+ ;
IDENT : ( [a-zA-Z_] | ~[\u0000-\u007F] ) ( [a-zA-Z_0-9$] | ~[\u0000-\u007F] )* ;

LINE_COMMENT : '--' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS : [ \t\r\n\f\u000B]+ -> channel(HIDDEN) ;

// Unterminated literals and comments become tokens of their own so that the error names
// them ("unterminated quoted string") instead of complaining about what follows.
UNTERMINATED_STRING : '\'' ( ~'\'' | '\'\'' )* EOF ;
UNTERMINATED_QUOTED_IDENT : '"' ( ~'"' | '""' )* EOF ;
UNTERMINATED_COMMENT : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* EOF ;

// Anything else (e.g. '+' or '::' in a column default) is a token the parser may reject.
OTHER : . ;

fragment A : [aA] ; fragment B : [bB] ; fragment C : [cC] ; fragment D : [dD] ;
fragment E : [eE] ; fragment F : [fF] ; fragment G : [gG] ; fragment H : [hH] ;
fragment I : [iI] ; fragment J : [jJ] ; fragment K : [kK] ; fragment L : [lL] ;
fragment M : [mM] ; fragment N : [nN] ; fragment O : [oO] ; fragment P : [pP] ;
fragment Q : [qQ] ; fragment R : [rR] ; fragment S : [sS] ; fragment T : [tT] ;
fragment U : [uU] ; fragment V : [vV] ; fragment W : [wW] ; fragment X : [xX] ;
fragment Y : [yY] ; fragment Z : [zZ] ;
