//! Reading columns from a row of either database, so that each row mapper is an ordinary
//! function written once.

use crate::store::{StoreError, StoreResult};

/// The column types the store reads, by name. Each backend's row type implements it
/// (`backends.rs`); a NULL read as a non-optional type is an error, as sqlx has it.
pub trait Columns {
    fn text(&self, name: &str) -> sqlx::Result<String>;
    fn text_opt(&self, name: &str) -> sqlx::Result<Option<String>>;
    fn int(&self, name: &str) -> sqlx::Result<i64>;
    fn int_opt(&self, name: &str) -> sqlx::Result<Option<i64>>;
    fn flag(&self, name: &str) -> sqlx::Result<bool>;

    /// One column as `T`, with sqlx's error.
    fn try_column<T: Column>(&self, name: &str) -> sqlx::Result<T>
    where
        Self: Sized,
    {
        T::read(self, name)
    }
}

/// A type a column can be read as.
pub trait Column: Sized {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self>;
}

impl Column for String {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self> {
        row.text(name)
    }
}

impl Column for Option<String> {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self> {
        row.text_opt(name)
    }
}

impl Column for i64 {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self> {
        row.int(name)
    }
}

impl Column for Option<i64> {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self> {
        row.int_opt(name)
    }
}

impl Column for bool {
    fn read(row: &impl Columns, name: &str) -> sqlx::Result<Self> {
        row.flag(name)
    }
}

/// One column of a row; a value that does not decode means the data is corrupt.
pub fn col<T: Column>(row: &impl Columns, name: &str) -> StoreResult<T> {
    T::read(row, name).map_err(|e| StoreError::Corrupt(e.to_string()))
}
