//! Pure rules of the portal: values that are valid once they exist, and decisions that take
//! time as an argument. Nothing in here does I/O or reads the clock.

pub mod answer;
pub mod audit;
pub mod audit_chain;
pub mod audit_event;
pub mod audit_verify;
pub mod case;
pub mod device;
pub mod email;
pub mod id;
pub mod lockout;
pub mod login;
pub mod login_name;
pub mod message;
pub mod password;
pub mod password_context;
pub mod password_hash;
pub mod phone;
pub mod policy;
pub mod policy_violation;
pub mod recovery_code;
pub mod secret;
pub mod session;
pub mod staff;
pub mod support;
pub mod support_case;
pub mod temporary;
pub mod totp;

pub use answer::SecurityAnswer;
pub use audit::{Actor, AuditAction, AuditEvent};
pub use case::{CaseKind, CaseStatus, Channel, ContactRole};
pub use device::{DeviceCookie, DevicePolicy};
pub use email::EmailAddress;
pub use id::new_id;
pub use lockout::LockoutPolicy;
pub use login::{Login, StoredKey};
pub use login_name::{LoginKind, LoginName};
pub use password::Password;
pub use password_context::PasswordContext;
pub use password_hash::PasswordHash;
pub use phone::PhoneNumber;
pub use policy::{PasswordPolicy, PolicyProfile, PolicyViolation};
pub use secret::Secret;
pub use session::SessionLifetime;
pub use staff::StaffRole;
pub use support_case::{CaseEntry, CaseFilter, SupportCase};
