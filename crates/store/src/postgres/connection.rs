//! A connection that prepares each distinct statement once and keeps it for the connection's life.
//!
//! The `postgres` client prepares a statement given as text anew for every call: a round trip, and a
//! parse and a plan on the server, often costing more than the query itself (a page of the case queue
//! is a handful of millisecond-or-less queries). Kept statements skip the parse, and after a few runs
//! PostgreSQL settles on a generic plan for them, skipping the planning too. The wrappers here mirror
//! the `postgres` types the store uses, under the same names, so the queries read as they would with the
//! plain client.

use std::collections::HashMap;

use ::postgres::types::ToSql;
use ::postgres::{CopyInWriter, Error, IsolationLevel, Row, RowIter, Statement};

pub(crate) type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Distinct statements kept per connection, at most: the filters of the list pages compose their SQL,
/// so the set is finite but not tiny. Past it the cache starts again.
const KEPT_STATEMENTS: usize = 512;

/// Prepared statements of one connection, by their SQL.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, Statement>);

impl Statements {
    fn prepared(&mut self, client: &mut impl ::postgres::GenericClient, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        if self.0.len() >= KEPT_STATEMENTS {
            self.0.clear();
        }
        self.0.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// What a query can be given as: SQL text (prepared once per connection) or a statement.
pub(crate) trait Query {
    fn statement(
        &self,
        statements: &mut Statements,
        client: &mut impl ::postgres::GenericClient,
    ) -> Result<Statement, Error>;
}

impl Query for str {
    fn statement(
        &self,
        statements: &mut Statements,
        client: &mut impl ::postgres::GenericClient,
    ) -> Result<Statement, Error> {
        statements.prepared(client, self)
    }
}

impl Query for String {
    fn statement(
        &self,
        statements: &mut Statements,
        client: &mut impl ::postgres::GenericClient,
    ) -> Result<Statement, Error> {
        statements.prepared(client, self)
    }
}

impl Query for Statement {
    fn statement(&self, _: &mut Statements, _: &mut impl ::postgres::GenericClient) -> Result<Statement, Error> {
        Ok(self.clone())
    }
}

/// The calls the store makes on a connection or inside a transaction alike.
pub(crate) trait GenericClient {
    fn query<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Vec<Row>, Error>;
    fn query_one<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Row, Error>;
    fn query_opt<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Option<Row>, Error>;
    fn execute<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<u64, Error>;
    fn prepare(&mut self, sql: &str) -> Result<Statement, Error>;
}

/// Implements [`GenericClient`] for a wrapper with fields `inner` (a `postgres` client or transaction)
/// and `statements`.
macro_rules! generic_client {
    ($wrapper:ty) => {
        impl GenericClient for $wrapper {
            fn query<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Vec<Row>, Error> {
                let statement = query.statement(&mut self.statements, &mut self.inner)?;
                self.inner.query(&statement, params)
            }
            fn query_one<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Row, Error> {
                let statement = query.statement(&mut self.statements, &mut self.inner)?;
                self.inner.query_one(&statement, params)
            }
            fn query_opt<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<Option<Row>, Error> {
                let statement = query.statement(&mut self.statements, &mut self.inner)?;
                self.inner.query_opt(&statement, params)
            }
            fn execute<Q: Query + ?Sized>(&mut self, query: &Q, params: Params<'_>) -> Result<u64, Error> {
                let statement = query.statement(&mut self.statements, &mut self.inner)?;
                self.inner.execute(&statement, params)
            }
            fn prepare(&mut self, sql: &str) -> Result<Statement, Error> {
                self.statements.prepared(&mut self.inner, sql)
            }
        }
    };
}

generic_client!(Client);
generic_client!(Transaction<'_>);

/// A connection with its kept statements.
pub(crate) struct Client {
    inner: ::postgres::Client,
    statements: Statements,
}

impl Client {
    pub(crate) fn new(inner: ::postgres::Client) -> Client {
        Client { inner, statements: Statements::default() }
    }

    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        Ok(Transaction { inner: self.inner.transaction()?, statements: &mut self.statements })
    }

    /// A read-only transaction that sees one snapshot of the database throughout.
    pub(crate) fn snapshot(&mut self) -> Result<Transaction<'_>, Error> {
        let inner =
            self.inner.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?;
        Ok(Transaction { inner, statements: &mut self.statements })
    }

    /// Runs statements without parameters (several, separated by `;`), not kept.
    pub(crate) fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.inner.batch_execute(sql)
    }

    pub(crate) fn copy_in<Q: Query + ?Sized>(&mut self, query: &Q) -> Result<CopyInWriter<'_>, Error> {
        let statement = query.statement(&mut self.statements, &mut self.inner)?;
        self.inner.copy_in(&statement)
    }
}

/// A transaction on a [`Client`], using and adding to its kept statements.
pub(crate) struct Transaction<'c> {
    inner: ::postgres::Transaction<'c>,
    statements: &'c mut Statements,
}

impl Transaction<'_> {
    pub(crate) fn commit(self) -> Result<(), Error> {
        self.inner.commit()
    }

    pub(crate) fn rollback(self) -> Result<(), Error> {
        self.inner.rollback()
    }

    pub(crate) fn savepoint(&mut self, name: &str) -> Result<Transaction<'_>, Error> {
        Ok(Transaction { inner: self.inner.savepoint(name)?, statements: &mut *self.statements })
    }

    /// Rows one at a time, for results too large to hold at once.
    pub(crate) fn query_raw<Q: Query + ?Sized>(&mut self, query: &Q) -> Result<RowIter<'_>, Error> {
        let statement = query.statement(self.statements, &mut self.inner)?;
        self.inner.query_raw(&statement, std::iter::empty::<i64>())
    }
}
