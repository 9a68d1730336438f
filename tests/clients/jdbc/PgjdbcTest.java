// pgjdbc (Debian's libpostgresql-jdbc-java) against the server, unmodified: run by
// test_pgjdbc.py as `java -cp postgresql.jar PgjdbcTest.java`, with the server and the
// scenario in DBVAULT_TEST_* variables (tests/clients/driver_case.py). pgjdbc speaks only the
// extended protocol; with prepareThreshold=-1 every statement is a named server-side one
// and results come in binary from the first execution. Prints `ok <case>` or
// `not ok <case>: <why>` per case and exits 1 if any failed.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.Properties;

public class PgjdbcTest {
  interface Case {
    void run() throws Exception;
  }

  // driver_case.ROW: the values row 1 of drv_types holds.
  static final int C_INT = 2147483647;
  static final long C_BIGINT = 9007199254740993L;
  static final String C_TEXT = "it's a \"text\"; --";
  static final BigDecimal C_NUMERIC = new BigDecimal("12345.678");
  static final LocalDateTime C_TS = LocalDateTime.of(2025, 10, 11, 4, 30, 5, 123456000);
  static final String SELECT_ROW = "SELECT id, c_int, c_bigint, c_text, c_numeric, c_bool, "
      + "c_bytea, c_ts FROM drv_types WHERE id = ?";

  static boolean failed = false;

  static String env(String name) {
    String value = System.getenv("DBVAULT_TEST_" + name);
    if (value == null) throw new IllegalStateException("DBVAULT_TEST_" + name + " is not set");
    return value;
  }

  static Connection connect(String extra) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", env("USER"));
    props.setProperty("password", env("PASSWORD"));
    props.setProperty("sslmode", "require");  // TLS without checking the certificate
    props.setProperty("prepareThreshold", "-1");  // named statements, binary from the start
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "20");
    String url = "jdbc:postgresql://" + env("HOST") + ":" + env("PORT") + "/" + env("DBNAME")
        + extra;
    return DriverManager.getConnection(url, props);
  }

  static byte[] allBytes() {
    byte[] b = new byte[256];
    for (int i = 0; i < 256; i++) b[i] = (byte) i;
    return b;
  }

  static void check(boolean condition, String what) {
    if (!condition) throw new AssertionError(what);
  }

  static void equal(Object expected, Object actual, String what) {
    boolean same = expected instanceof byte[] && actual instanceof byte[]
        ? Arrays.equals((byte[]) expected, (byte[]) actual)
        : expected == null ? actual == null : expected.equals(actual);
    if (!same) throw new AssertionError(what + ": expected " + expected + ", got " + actual);
  }

  static void run(String name, Case body) {
    try {
      body.run();
      System.out.println("ok " + name);
    } catch (Throwable e) {
      failed = true;
      System.out.println("not ok " + name + ": " + e);
      e.printStackTrace(System.out);
    }
  }

  static void expectState(String sqlstate, Case body) throws Exception {
    try {
      body.run();
    } catch (SQLException e) {
      equal(sqlstate, e.getSQLState(), "SQLSTATE of " + e.getMessage());
      return;
    }
    throw new AssertionError("no error, expected " + sqlstate);
  }

  static void checkRow(ResultSet rs) throws SQLException {
    equal(C_INT, rs.getInt("c_int"), "int4");
    equal(C_BIGINT, rs.getLong("c_bigint"), "int8");
    equal(C_TEXT, rs.getString("c_text"), "text");
    equal(0, C_NUMERIC.compareTo(rs.getBigDecimal("c_numeric")), "numeric " + rs.getString(5));
    equal(true, rs.getBoolean("c_bool"), "bool");
    equal(allBytes(), rs.getBytes("c_bytea"), "bytea");
    equal(C_TS, rs.getObject("c_ts", LocalDateTime.class), "timestamp");
    equal(Timestamp.valueOf(C_TS), rs.getTimestamp("c_ts"), "timestamp as java.sql.Timestamp");
  }

  // Reads row `full` (driver_case.ROW's values) and row `nulls` (all NULL) back.
  static void checkRows(Connection c, int full, int nulls) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT_ROW)) {
      ps.setInt(1, full);
      try (ResultSet rs = ps.executeQuery()) {
        check(rs.next(), "row " + full);
        checkRow(rs);
      }
      ps.setInt(1, nulls);
      try (ResultSet rs = ps.executeQuery()) {
        check(rs.next(), "row " + nulls);
        for (int i = 2; i <= 8; i++) check(rs.getObject(i) == null, "column " + i + " is NULL");
      }
    }
  }

  static void bindRow(PreparedStatement ps, int id, boolean nulls) throws SQLException {
    ps.setInt(1, id);
    if (nulls) {
      int[] types = {Types.INTEGER, Types.BIGINT, Types.VARCHAR, Types.NUMERIC, Types.BOOLEAN,
                     Types.BINARY, Types.TIMESTAMP};
      for (int i = 0; i < types.length; i++) ps.setNull(i + 2, types[i]);
      return;
    }
    ps.setInt(2, C_INT);
    ps.setLong(3, C_BIGINT);
    ps.setString(4, C_TEXT);
    ps.setBigDecimal(5, C_NUMERIC);
    ps.setBoolean(6, true);
    ps.setBytes(7, allBytes());
    ps.setObject(8, C_TS);
  }

  public static void main(String[] args) throws Exception {
    boolean vault = env("KIND").equals("dbvault");
    try (Connection c = connect("")) {
      run("connect_tls_scram", () -> {
        // the server's version from ParameterStatus; what pgjdbc SETs at startup went through
        check(c.getMetaData().getDatabaseMajorVersion() >= 15, "server_version >= 15");
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW extra_float_digits")) {
          check(rs.next(), "a row");
          equal("3", rs.getString(1), "extra_float_digits as pgjdbc set it");
        }
      });
      run("binary_results", () -> checkRows(c, 1, 2));
      run("typed_parameters", () -> {
        try (PreparedStatement ins = c.prepareStatement(
                 "INSERT INTO drv_types VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
          bindRow(ins, 201, false);
          equal(1, ins.executeUpdate(), "rows inserted");
          bindRow(ins, 202, true);
          equal(1, ins.executeUpdate(), "rows inserted");
        }
        checkRows(c, 201, 202);
      });
      run("parameters_compared_with_columns", () -> {
        String[] columns = {"c_int", "c_bigint", "c_text", "c_numeric", "c_bool", "c_bytea",
                            "c_ts"};
        Object[] values = {C_INT, C_BIGINT, C_TEXT, C_NUMERIC, true, allBytes(), C_TS};
        for (int i = 0; i < columns.length; i++) {
          try (PreparedStatement ps = c.prepareStatement(
                   "SELECT count(*) FROM drv_types WHERE id = 1 AND " + columns[i] + " = ?")) {
            ps.setObject(1, values[i]);
            try (ResultSet rs = ps.executeQuery()) {
              check(rs.next(), "a row");
              equal(1L, rs.getLong(1), columns[i]);
            }
          }
        }
      });
      run("prepared_statement_reused", () -> {
        try (PreparedStatement ps =
                 c.prepareStatement("SELECT c_text FROM drv_types WHERE id = ?")) {
          for (int round = 0; round < 3; round++) {
            for (int id = 1; id <= 2; id++) {
              ps.setInt(1, id);
              try (ResultSet rs = ps.executeQuery()) {
                check(rs.next(), "a row");
                equal(id == 1 ? C_TEXT : null, rs.getString(1), "c_text of " + id);
              }
            }
          }
        }
      });
      run("error_then_usable", () -> {
        expectState("42P01", () -> {
          try (PreparedStatement ps =
                   c.prepareStatement("SELECT * FROM no_such_table WHERE id = ?")) {
            ps.setInt(1, 1);
            ps.executeQuery().close();
          }
        });
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::integer + 1")) {
          ps.setInt(1, 41);
          try (ResultSet rs = ps.executeQuery()) {
            check(rs.next(), "a row");
            equal(42, rs.getInt(1), "41 + 1");
          }
        }
      });
      run("transaction_rolled_back", () -> {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO drv_types (id) VALUES (?)")) {
          ps.setInt(1, 210);
          ps.executeUpdate();
          c.rollback();
          ps.setInt(1, 211);
          ps.executeUpdate();
          ps.setInt(1, 211);
          expectState("23505", ps::executeUpdate);
          c.rollback();
        } finally {
          c.setAutoCommit(true);
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(
                 "SELECT count(*) FROM drv_types WHERE id BETWEEN 210 AND 219")) {
          check(rs.next(), "a row");
          equal(0L, rs.getLong(1), "rows left");
        }
      });
      run("metadata_tables", () -> {
        try (ResultSet rs = c.getMetaData().getTables(null, null, "drv_types",
                                                      new String[] {"TABLE"})) {
          check(rs.next(), "drv_types listed");
          equal("drv_types", rs.getString("TABLE_NAME"), "TABLE_NAME");
        }
      });
      if (vault) {
        run("vault_scenario", () -> {
          expectState("42501", () -> {
            try (Statement s = c.createStatement()) {
              s.executeQuery("SELECT v FROM drv_secret").close();
            }
          });
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            check(rs.next() && rs.getInt(1) == 1, "usable after the denial");
          }
          String unlock = "UNLOCK REALM " + env("REALM") + " PASSWORD ?";
          expectState("28P01", () -> {
            try (PreparedStatement ps = c.prepareStatement(unlock)) {
              ps.setString(1, "not-it");
              ps.executeQuery().close();
            }
          });
          try (PreparedStatement ps = c.prepareStatement(unlock)) {
            ps.setString(1, env("REALM_PASSWORD"));
            try (ResultSet rs = ps.executeQuery()) {
              check(rs.next(), "the unlock's row");
              equal("token", rs.getMetaData().getColumnName(2), "second column");
            }
          }
          try (PreparedStatement ps = c.prepareStatement("SELECT v FROM drv_secret");
               ResultSet rs = ps.executeQuery()) {
            check(rs.next(), "the secret row");
            equal(env("SECRET_ROW"), rs.getString(1), "v");
          }
        });
      }
    }
    System.exit(failed ? 1 : 0);
  }
}
