//! What can stop any use case, whatever it does: the hash pool is full, or the database failed.
//! Every use-case error carries these in one `Failure` variant, so the web, the API and the CLI
//! each map them once instead of case by case. It reads as its cause, so the operator's
//! messages and the logged cause chains name what actually failed.

use crate::crypto::Overloaded;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Too many sign-ins or password changes are waiting for the hash workers: try again soon.
    #[error("too many password checks are waiting; try again shortly")]
    Overloaded,
    /// The database could not be reached or failed; the operation changed nothing. Trying again
    /// later may work.
    #[error(transparent)]
    Unavailable(StoreError),
    /// Anything else below the use case (corrupt data, a value that could not be sealed): a
    /// bug or damage, logged with its cause; trying again will not help.
    #[error(transparent)]
    Internal(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => Self::Unavailable(error),
            other => Self::Internal(other),
        }
    }
}

impl From<Overloaded> for Failure {
    fn from(_: Overloaded) -> Self {
        Self::Overloaded
    }
}

/// Gives a use-case error enum that has a `Failure(#[from] Failure)` variant the conversions
/// `?` needs from the store's and the hash pool's errors.
macro_rules! failure_conversions {
    ($error:ty) => {
        impl From<$crate::store::StoreError> for $error {
            fn from(error: $crate::store::StoreError) -> Self {
                Self::Failure(error.into())
            }
        }

        impl From<$crate::crypto::Overloaded> for $error {
            fn from(error: $crate::crypto::Overloaded) -> Self {
                Self::Failure(error.into())
            }
        }
    };
}
pub(crate) use failure_conversions;
