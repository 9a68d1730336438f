import psycopg2, os, sys
PORT = int(open('/work/attack3/port').read().strip())
PW = {'dba':'dbapw','secadmin':'secpw','auditor':'audpw'}
def conn(user='dba', autocommit=True):
    c = psycopg2.connect(host='127.0.0.1', port=PORT, user=user, password=PW[user], dbname='dbvault', sslmode='prefer')
    c.autocommit = autocommit
    return c
def q(c, sql):
    cur = c.cursor()
    try:
        cur.execute(sql)
        r = cur.fetchall() if cur.description else cur.statusmessage
        return ('ok', r)
    except Exception as e:
        return ('err', getattr(e,'pgcode',None), str(e).strip().splitlines()[0])
def status(c):
    return {0:'I',1:'active',2:'T',3:'E',4:'unknown'}[c.get_transaction_status()]
def setup():
    d = conn('dba'); s = conn('secadmin')
    print(q(d, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)"))
    print(q(d, "CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY, v TEXT)"))
    print(q(s, "CREATE REALM rp DESCRIPTION 'x' REQUIRE VAULT PASSWORD"))
    print(q(s, "ALTER REALM rp ADD TABLE p"))
    print(q(s, "ALTER REALM rp SET VAULT PASSWORD 'vpw'"))
if __name__ == '__main__':
    setup()
