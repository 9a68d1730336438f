// pgx v4 (Debian's golang-github-jackc-pgx-v4-dev) against the server, unmodified: run by
// test_pgx.py, with the server and the scenario in DBVAULT_TEST_* variables
// (tests/clients/driver_case.py). pgx prepares every query with arguments (Parse, Describe
// statement, kept in its statement cache), encodes each argument as the type the
// ParameterDescription names, in binary where it can, and asks for binary results. Prints
// `ok <case>` or `not ok <case>: <why>` per case and exits 1 if any failed.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgtype"
	"github.com/jackc/pgx/v4"
)

// driver_case.ROW: the values row 1 of drv_types holds.
var (
	cInt     = int32(2147483647)
	cBigint  = int64(9007199254740993)
	cText    = "it's a \"text\"; --"
	cNumeric = "12345.678"
	cTs      = time.Date(2025, 10, 11, 4, 30, 5, 123456000, time.UTC)
)

const selectRow = "SELECT id, c_int, c_bigint, c_text, c_numeric, c_bool, c_bytea, c_ts " +
	"FROM drv_types WHERE id = $1"

var failed = false

func env(name string) string {
	value, ok := os.LookupEnv("DBVAULT_TEST_" + name)
	if !ok {
		fmt.Printf("not ok setup: DBVAULT_TEST_%s is not set\n", name)
		os.Exit(1)
	}
	return value
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func run(name string, body func() error) {
	if err := body(); err != nil {
		failed = true
		fmt.Printf("not ok %s: %v\n", name, err)
		return
	}
	fmt.Printf("ok %s\n", name)
}

func sqlstate(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func expectState(want string, err error) error {
	if got := sqlstate(err); got != want {
		return fmt.Errorf("expected SQLSTATE %s, got %q (%v)", want, got, err)
	}
	return nil
}

// rational is n's exact value (pgtype.Numeric is Int × 10^Exp, with no text form).
func rational(n pgtype.Numeric) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n.Exp))), nil)
	if n.Exp < 0 {
		return new(big.Rat).SetFrac(n.Int, scale)
	}
	return new(big.Rat).SetInt(new(big.Int).Mul(n.Int, scale))
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func numeric(text string) pgtype.Numeric {
	var n pgtype.Numeric
	if err := n.Set(text); err != nil {
		panic(err)
	}
	return n
}

type row struct {
	id       int32
	cInt     *int32
	cBigint  *int64
	cText    *string
	cNumeric pgtype.Numeric
	cBool    *bool
	cBytea   []byte
	cTs      *time.Time
}

func readRow(ctx context.Context, c *pgx.Conn, id int32) (row, error) {
	var r row
	err := c.QueryRow(ctx, selectRow, id).Scan(&r.id, &r.cInt, &r.cBigint, &r.cText,
		&r.cNumeric, &r.cBool, &r.cBytea, &r.cTs)
	return r, err
}

func checkRow(r row) error {
	switch {
	case r.cInt == nil || *r.cInt != cInt:
		return fmt.Errorf("int4: %v", r.cInt)
	case r.cBigint == nil || *r.cBigint != cBigint:
		return fmt.Errorf("int8: %v", r.cBigint)
	case r.cText == nil || *r.cText != cText:
		return fmt.Errorf("text: %v", r.cText)
	case r.cNumeric.Status != pgtype.Present ||
		rational(r.cNumeric).Cmp(rational(numeric(cNumeric))) != 0:
		return fmt.Errorf("numeric: %+v", r.cNumeric)
	case r.cBool == nil || !*r.cBool:
		return fmt.Errorf("bool: %v", r.cBool)
	case !bytes.Equal(r.cBytea, allBytes()):
		return fmt.Errorf("bytea: %x", r.cBytea)
	case r.cTs == nil || !r.cTs.Equal(cTs):
		return fmt.Errorf("timestamp: %v", r.cTs)
	}
	return nil
}

func checkNullRow(r row) error {
	if r.cInt != nil || r.cBigint != nil || r.cText != nil || r.cNumeric.Status != pgtype.Null ||
		r.cBool != nil || r.cBytea != nil || r.cTs != nil {
		return fmt.Errorf("expected NULLs, got %+v", r)
	}
	return nil
}

// checkRows reads row `full` (driver_case.ROW's values) and row `nulls` (all NULL) back.
func checkRows(ctx context.Context, c *pgx.Conn, full, nulls int32) error {
	r, err := readRow(ctx, c, full)
	if err != nil {
		return err
	}
	if err := checkRow(r); err != nil {
		return err
	}
	if r, err = readRow(ctx, c, nulls); err != nil {
		return err
	}
	return checkNullRow(r)
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn := fmt.Sprintf("host=%s port=%s dbname=%s user=%s password=%s sslmode=require "+
		"connect_timeout=10", env("HOST"), env("PORT"), env("DBNAME"), env("USER"),
		env("PASSWORD"))
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		fmt.Printf("not ok connect_tls_scram: %v\n", err)
		os.Exit(1)
	}
	defer c.Close(ctx)
	run("connect_tls_scram", func() error {
		if c.PgConn().ParameterStatus("integer_datetimes") != "on" {
			return errors.New("integer_datetimes is not on")
		}
		return nil
	})
	run("binary_results", func() error { return checkRows(ctx, c, 1, 2) })
	run("typed_parameters", func() error {
		insert := "INSERT INTO drv_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		if _, err := c.Exec(ctx, insert, int32(301), cInt, cBigint, cText, numeric(cNumeric),
			true, allBytes(), cTs); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, insert, int32(302), nil, nil, nil, nil, nil, nil,
			nil); err != nil {
			return err
		}
		return checkRows(ctx, c, 301, 302)
	})
	run("described_parameter_types", func() error {
		columns := []string{"c_int", "c_bigint", "c_text", "c_numeric", "c_bool", "c_bytea", "c_ts"}
		oids := []uint32{pgtype.Int4OID, pgtype.Int8OID, pgtype.TextOID, pgtype.NumericOID,
			pgtype.BoolOID, pgtype.ByteaOID, pgtype.TimestampOID}
		values := []interface{}{cInt, cBigint, cText, numeric(cNumeric), true, allBytes(), cTs}
		for i, column := range columns {
			sql := "SELECT id FROM drv_types WHERE " + column + " = $1 ORDER BY id"
			described, err := c.Prepare(ctx, "by_"+column, sql)
			if err != nil {
				return err
			}
			if len(described.ParamOIDs) != 1 || described.ParamOIDs[0] != oids[i] {
				return fmt.Errorf("%s: parameter OIDs %v, expected [%d]", column,
					described.ParamOIDs, oids[i])
			}
			if len(described.Fields) != 1 || described.Fields[0].DataTypeOID != pgtype.Int4OID {
				return fmt.Errorf("%s: fields %+v", column, described.Fields)
			}
			var id int32
			if err := c.QueryRow(ctx, "by_"+column, values[i]).Scan(&id); err != nil || id != 1 {
				return fmt.Errorf("%s: id %d, %v", column, id, err)
			}
		}
		return nil
	})
	run("prepared_statement_reused", func() error {
		for round := 0; round < 3; round++ {
			for _, id := range []int32{1, 2} {
				var text *string
				err := c.QueryRow(ctx, "SELECT c_text FROM drv_types WHERE id = $1", id).Scan(&text)
				if err != nil {
					return err
				}
				if (id == 1) != (text != nil && *text == cText) {
					return fmt.Errorf("c_text of %d: %v", id, text)
				}
			}
		}
		return nil
	})
	run("error_then_usable", func() error {
		_, err := c.Exec(ctx, "SELECT * FROM no_such_table WHERE id = $1", 1)
		if err := expectState("42P01", err); err != nil {
			return err
		}
		var n int32
		if err := c.QueryRow(ctx, "SELECT $1::integer + 1", int32(41)).Scan(&n); err != nil || n != 42 {
			return fmt.Errorf("41 + 1 = %d, %v", n, err)
		}
		return nil
	})
	run("transaction_rolled_back", func() error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO drv_types (id) VALUES ($1)", int32(310)); err != nil {
			return err
		}
		if err := tx.Rollback(ctx); err != nil {
			return err
		}
		var n int64
		err = c.QueryRow(ctx, "SELECT count(*) FROM drv_types WHERE id = $1", int32(310)).Scan(&n)
		if err != nil || n != 0 {
			return fmt.Errorf("rows after rollback: %d, %v", n, err)
		}
		return nil
	})
	if env("KIND") == "dbvault" {
		run("vault_scenario", func() error {
			_, err := c.Exec(ctx, "SELECT v FROM drv_secret")
			if err := expectState("42501", err); err != nil {
				return err
			}
			unlock := "UNLOCK REALM " + env("REALM") + " PASSWORD $1"
			if err := expectState("28P01", c.QueryRow(ctx, unlock, "not-it").Scan()); err != nil {
				return err
			}
			rows, err := c.Query(ctx, unlock, env("REALM_PASSWORD"))
			if err != nil {
				return err
			}
			names := []string{}
			for _, f := range rows.FieldDescriptions() {
				names = append(names, string(f.Name))
			}
			rows.Close()
			if rows.Err() != nil || len(names) < 2 || names[1] != "token" {
				return fmt.Errorf("unlock: columns %v, %v", names, rows.Err())
			}
			var v string
			if err := c.QueryRow(ctx, "SELECT v FROM drv_secret").Scan(&v); err != nil {
				return err
			}
			if v != env("SECRET_ROW") {
				return fmt.Errorf("secret row %q", v)
			}
			return nil
		})
	}
	if failed {
		os.Exit(1)
	}
}
