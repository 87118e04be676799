//! Preparing a message for storing sealed (the outbox, secure pickup): what cannot be
//! serialised or sealed is the store's "unsealable", and nothing is written.

use crate::crypto::seal::SealError;
use crate::domain::message::OutboundMessage;
use crate::store::StoreError;

pub(super) fn serialise(message: &OutboundMessage) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(message).map_err(|e| StoreError::Unsealable(e.to_string()))
}

pub(super) fn unsealable(error: SealError) -> StoreError {
    StoreError::Unsealable(error.to_string())
}
