//! Row ids. They are chosen by the portal, not by the database, so a use case knows the id of
//! what it is about to write and the store needs no id scheme of its own.

/// A new row id: UUIDv7, time-ordered. Ids are not secrets; tokens come from `RandomToken`.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
