//! One SQL statement with its parameters, as the shared SQL writes it, and where it runs.
//! The statement is plain data; the backend binds and runs it (`SqlBackend`), so the SQL of
//! every area is ordinary generic code, written once for both databases.

use std::borrow::Cow;

use super::backend::SqlBackend;
use crate::store::chain::ChainTx;

/// A parameter value. Each variant binds as the Rust type the statement would otherwise bind
/// (`Option<T>` binds exactly as `T` when present), so both databases see the same types.
#[derive(Debug, Clone)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// A statement and its parameters (`$1`, `$2`, … in the order they are bound).
#[derive(Debug, Clone)]
pub struct Statement {
    pub(in crate::store) sql: Cow<'static, str>,
    pub(in crate::store) args: Vec<Value>,
}

/// Starts a statement; `text` is fixed SQL or SQL assembled from fixed parts, never from input.
pub fn sql(text: impl Into<Cow<'static, str>>) -> Statement {
    Statement { sql: text.into(), args: Vec::new() }
}

/// Where a statement runs: on a pooled connection of its own, or inside a write transaction.
pub enum Exec<'a, B: SqlBackend> {
    Pool(&'a B),
    Tx(&'a mut ChainTx<B>),
}

/// What a statement may run on: the store itself (its pool) or a write transaction of it.
/// No lifetime ties the two together, so the futures of the shared SQL stay `Send` for any
/// borrow.
pub trait Target: Send {
    type Backend: SqlBackend;
    fn exec(&mut self) -> Exec<'_, Self::Backend>;
}

impl<B: SqlBackend> Target for &B {
    type Backend = B;
    fn exec(&mut self) -> Exec<'_, B> {
        Exec::Pool(*self)
    }
}

impl<B: SqlBackend> Target for &mut ChainTx<B> {
    type Backend = B;
    fn exec(&mut self) -> Exec<'_, B> {
        Exec::Tx(&mut **self)
    }
}

impl Statement {
    /// Adds the next parameter.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs the statement; yields the number of rows it changed.
    pub async fn execute<T: Target>(self, mut on: T) -> sqlx::Result<u64> {
        T::Backend::execute(on.exec(), self).await
    }

    pub async fn fetch_one<T: Target>(self, mut on: T) -> sqlx::Result<<T::Backend as SqlBackend>::Row> {
        T::Backend::fetch_one(on.exec(), self).await
    }

    pub async fn fetch_optional<T: Target>(self, mut on: T) -> sqlx::Result<Option<<T::Backend as SqlBackend>::Row>> {
        T::Backend::fetch_optional(on.exec(), self).await
    }

    pub async fn fetch_all<T: Target>(self, mut on: T) -> sqlx::Result<Vec<<T::Backend as SqlBackend>::Row>> {
        T::Backend::fetch_all(on.exec(), self).await
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(Some(value.to_string()))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(Some(value))
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::Text(Some(value.clone()))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        Value::Text(value)
    }
}

impl From<&Option<String>> for Value {
    fn from(value: &Option<String>) -> Self {
        Value::Text(value.clone())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(Some(value))
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}
