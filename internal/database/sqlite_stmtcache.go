package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
)

// stmtCacheSize bounds the prepared statements each SQLite connection keeps.
// crn's queries come from a few hundred ent builders; IN lists of varying
// length make more texts, so the cache evicts rather than grows.
const stmtCacheSize = 256

// stmtCacheConnector opens SQLite connections that keep their prepared
// statements. database/sql prepares, runs and finalizes a statement for
// every query on a driver that, like modernc's, answers queries directly;
// SQLite's parser and planner were then 12 % of crn's CPU when writing
// posts. A kept statement is only reset and rebound.
type stmtCacheConnector struct {
	dsn string
	drv *sqlite.Driver
}

func (c stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqlite driver connection lacks the context interfaces")
	}
	return &stmtCacheConn{sqliteConn: inner, stmts: map[string]*cachedStmt{}}, nil
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what database/sql uses of a modernc connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // rows of it are open
}

// stmtCacheConn is used by one goroutine at a time (database/sql holds the
// connection for each call), so the cache needs no lock; Rows keep their
// statement busy until closed, and a query whose statement is busy (the
// same text run again while the first rows are open) goes the uncached way.
type stmtCacheConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

// cacheable: a single statement. A script (several statements) runs the
// uncached way, which steps through each.
func cacheable(query string) bool {
	q := strings.TrimRight(query, " \t\r\n;")
	return !strings.Contains(q, ";")
}

// take returns the cached statement for query, marking it busy, or nil
// when the query must run uncached.
func (c *stmtCacheConn) take(ctx context.Context, query string) *cachedStmt {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil
		}
		s.busy = true
		return s
	}
	if !cacheable(query) {
		return nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil // the uncached call reports it
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = ds.Close()
		return nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for q, old := range c.stmts { // evict any idle one
			if !old.busy {
				_ = old.stmt.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	s := &cachedStmt{stmt: st, busy: true}
	c.stmts[query] = s
	return s
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	defer func() { s.busy = false }()
	return s.stmt.ExecContext(ctx, args)
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		s.busy = false
		return nil, err
	}
	typed, ok := rows.(sqliteRows)
	if !ok {
		_ = rows.Close()
		s.busy = false
		return nil, errors.New("sqlite driver rows lack the column type interfaces")
	}
	return &cachedRows{sqliteRows: typed, s: s}, nil
}

// Close finalizes the kept statements, then closes the connection.
func (c *stmtCacheConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows frees its statement for the next query when closed (modernc
// resets the statement then rather than finalizing it).
type cachedRows struct {
	sqliteRows
	s *cachedStmt
}

// sqliteRows is what modernc's rows offer besides driver.Rows; passing it on
// keeps sql.Rows.ColumnTypes as informative as without the cache.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.s.busy = false
	return err
}
