//! How a refused support step reads to an agent.

use crate::service::cases::CaseError;
use crate::service::support::SupportError;
use crate::web::WebError;

/// What an agent reads when a support step is refused; infrastructure failures stay errors.
pub fn problem(error: SupportError) -> Result<String, WebError> {
    match error {
        SupportError::Refused(refusal) => Ok(refusal.message()),
        SupportError::Case(CaseError::NotFound) => Err(WebError::NotFound),
        SupportError::Case(CaseError::Failure(failure)) | SupportError::Failure(failure) => Err(failure.into()),
        SupportError::Case(other) => Ok(other.to_string()),
    }
}
