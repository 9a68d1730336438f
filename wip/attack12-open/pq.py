"""Minimal libpq via ctypes: extended-protocol prepare/execute."""
import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
lib.PQconnectdb.restype = ctypes.c_void_p; lib.PQconnectdb.argtypes=[ctypes.c_char_p]
lib.PQstatus.argtypes=[ctypes.c_void_p]
lib.PQerrorMessage.restype=ctypes.c_char_p; lib.PQerrorMessage.argtypes=[ctypes.c_void_p]
lib.PQprepare.restype=ctypes.c_void_p; lib.PQprepare.argtypes=[ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
lib.PQexecPrepared.restype=ctypes.c_void_p; lib.PQexecPrepared.argtypes=[ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
lib.PQexec.restype=ctypes.c_void_p; lib.PQexec.argtypes=[ctypes.c_void_p, ctypes.c_char_p]
lib.PQexecParams.restype=ctypes.c_void_p; lib.PQexecParams.argtypes=[ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
lib.PQresultStatus.argtypes=[ctypes.c_void_p]
lib.PQresultErrorField.restype=ctypes.c_char_p; lib.PQresultErrorField.argtypes=[ctypes.c_void_p, ctypes.c_int]
lib.PQntuples.argtypes=[ctypes.c_void_p]; lib.PQnfields.argtypes=[ctypes.c_void_p]
lib.PQgetvalue.restype=ctypes.c_char_p; lib.PQgetvalue.argtypes=[ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
lib.PQclear.argtypes=[ctypes.c_void_p]
lib.PQtransactionStatus.argtypes=[ctypes.c_void_p]
lib.PQfinish.argtypes=[ctypes.c_void_p]
PG_DIAG_SQLSTATE = ord('C'); PG_DIAG_MESSAGE_PRIMARY = ord('M')
TX = {0:'I',1:'ACTIVE',2:'T',3:'E',4:'UNKNOWN'}

class PQ:
    def __init__(self, port, user, password):
        self.c = lib.PQconnectdb(("host=127.0.0.1 port=%d user=%s password=%s dbname=dbvault sslmode=require" % (port, user, password)).encode())
        if lib.PQstatus(self.c) != 0: raise RuntimeError(lib.PQerrorMessage(self.c))
    def _res(self, r):
        st = lib.PQresultStatus(r)
        if st in (5, 7):  # BAD_RESPONSE, FATAL_ERROR
            out = ("err", (lib.PQresultErrorField(r, PG_DIAG_SQLSTATE) or b"").decode(), (lib.PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) or b"").decode())
        else:
            rows = [[(lib.PQgetvalue(r,i,j) or b"").decode() for j in range(lib.PQnfields(r))] for i in range(lib.PQntuples(r))]
            out = ("ok", rows)
        lib.PQclear(r); return out
    def exec(self, sql): return self._res(lib.PQexec(self.c, sql.encode()))
    def params(self, sql, vals=()):
        arr = (ctypes.c_char_p * max(1,len(vals)))(*[v.encode() for v in vals])
        return self._res(lib.PQexecParams(self.c, sql.encode(), len(vals), None, arr, None, None, 0))
    def prepare(self, name, sql): return self._res(lib.PQprepare(self.c, name.encode(), sql.encode(), 0, None))
    def execp(self, name, vals=()):
        arr = (ctypes.c_char_p * max(1,len(vals)))(*[v.encode() for v in vals])
        return self._res(lib.PQexecPrepared(self.c, name.encode(), len(vals), arr, None, None, 0))
    def tx(self): return TX.get(lib.PQtransactionStatus(self.c))
    def close(self): lib.PQfinish(self.c)
