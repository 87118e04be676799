//! Support cases and the staff console: the article's primary-login reset through a verified
//! case, each refusal of the procedure (and that it changed nothing), staff authorization.

use std::str::FromStr;

use portcullis::domain::{LoginName, Password, StaffRole};
use reqwest::StatusCode;
use time::Duration;

use crate::crypto_tools::Gpg;
use crate::helpers::{INITIAL_PASSWORD, TestApp, csrf_token, location, spawn_app, spawn_app_with};
use crate::mail::{app_with_relay, parse, pgp_payload, upload_key};
use crate::people::{JANE, JANE_PASSWORD, open_pickup, passcode_in, post_as, temporary_in};
use crate::smtp_sink::SmtpSink;

pub const AGENT: &str = "alice";
pub const AGENT_PASSWORD: &str = "Support#Desk1";
const NEW_PASSWORD: &str = "Fresh#Start9";

/// A staff member signed in to the console.
pub async fn staff_client(app: &TestApp, username: &str, role: &str, password: &str) -> reqwest::Client {
    let role = StaffRole::from_str(role).unwrap();
    app.portal.create_staff(username, role, &Password::new(password)).await.unwrap();
    staff_sign_in(app, username, password).await
}

async fn staff_sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let client = app.client();
    let response = staff_login_form(app, &client, username, password).await;
    assert_eq!(location(&response), "/staff", "staff sign-in of {username}");
    client
}

/// Loads the staff sign-in page (for its CSRF token) and submits it.
async fn staff_login_form(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let csrf = csrf_token(&app.get_html(client, "/staff/login").await);
    app.post_form(client, "/staff/login", &[("csrf", &csrf), ("username", username), ("password", password)]).await
}

/// Posts a staff console form with the staff session's CSRF token.
async fn staff_post(app: &TestApp, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_token(&app.get_html(client, "/staff/cases/new").await);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post_form(client, path, &all).await
}

/// An account with contacts on record and an authorized-contact secondary login.
pub async fn account(app: &TestApp) -> (String, reqwest::Client) {
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, JANE, JANE_PASSWORD).await;
    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let contacts = [
        ("primary_name", "Ann Admin"),
        ("primary_phone", "+44 20 7946 0001"),
        ("primary_email", "ann@acme.example"),
        ("secondary_name", "Ben Backup"),
        ("secondary_phone", "+44 20 7946 0002"),
        ("secondary_email", "ben@acme.example"),
        ("password", INITIAL_PASSWORD),
    ];
    assert_eq!(post_as(app, &admin, "/account/contacts", &contacts).await.status(), StatusCode::SEE_OTHER);
    (primary, admin)
}

/// jane.doe opens "Primary account password reset request" in the portal; returns its number.
pub async fn open_reset_case(app: &TestApp) -> i64 {
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let page = app.get_html(&jane, "/cases").await;
    assert!(page.contains("Primary account password reset request"));
    let opened = post_as(app, &jane, "/cases", &[("title_choice", "reset"), ("description", "Our admin left.")]).await;
    let to = location(&opened);
    to.trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap_or_else(|_| panic!("{to}"))
}

pub async fn verify(app: &TestApp, staff: &reqwest::Client, case: i64) {
    let path = format!("/staff/cases/{case}/verify");
    let fields = [("contact", "primary"), ("outcome", "verified"), ("notes", "Ann confirmed on call-back.")];
    let response = staff_post(app, staff, &path, &fields).await;
    assert_eq!(location(&response), format!("/staff/cases/{case}?notice=verification-recorded"));
}

pub async fn send(app: &TestApp, staff: &reqwest::Client, case: i64, login: &str) -> reqwest::Response {
    let fields = [("login", login), ("password", AGENT_PASSWORD)];
    staff_post(app, staff, &format!("/staff/cases/{case}/send"), &fields).await
}

async fn assert_refusal_audited(app: &TestApp, reason: &str) {
    let entries = app.portal.recent_audit(1000).await.unwrap();
    assert!(
        entries.iter().any(|e| e.action == "temporary_password_refused" && e.details.contains(reason)),
        "a refusal for {reason} is audited"
    );
}

async fn case_status(app: &TestApp, case: i64) -> String {
    app.store().await.case_by_number(case).await.unwrap().unwrap().status.as_str().to_string()
}

/// Nothing was issued: no temporary password and no secret in the outbox.
async fn nothing_issued(app: &TestApp, primary: &str) {
    let login = app.store().await.login_by_name(&LoginName::parse(primary).unwrap()).await.unwrap().unwrap();
    assert!(app.store().await.latest_temporary_password(&login.id).await.unwrap().is_none());
    let mail = app.portal.list_mail(100).await.unwrap();
    assert!(mail.iter().all(|m| m.kind != "temporary_password" && m.kind != "secure_pickup"));
}

#[tokio::test]
async fn the_article_flow_resets_the_primary_login_through_a_verified_case() {
    let relay = SmtpSink::start().await;
    let app = app_with_relay(&relay).await;
    let (primary, admin) = account(&app).await;
    let gpg = Gpg::new("admin@acme.example");
    assert_eq!(upload_key(&app, &admin, &gpg.public_key(), INITIAL_PASSWORD).await.status(), StatusCode::SEE_OTHER);

    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let queue = app.get_html(&staff, "/staff?kind=primary_reset&status=open").await;
    assert!(queue.contains(&format!("/staff/cases/{case}")));
    let page = app.get_html(&staff, &format!("/staff/cases/{case}")).await;
    assert!(page.contains("Ann Admin") && page.contains("+44 20 7946 0001"), "contacts on record are shown");
    assert!(page.contains("Record a successful call-back"), "sending is not possible yet");
    verify(&app, &staff, case).await;

    let sent = send(&app, &staff, case, &primary).await;
    assert_eq!(location(&sent), format!("/staff/cases/{case}?notice=temporary-sent"));
    assert_eq!(case_status(&app, case).await, "awaiting_customer");

    // The security notices of the contacts and the key, Jane's case notices (opened, password
    // sent), the password itself, and a notice to each contact on record.
    let messages = relay.wait_for(7).await;
    for contact in ["ann@acme.example", "ben@acme.example"] {
        let notice = messages
            .iter()
            .find(|m| parse(m).to().unwrap().first().unwrap().address() == Some(contact))
            .unwrap_or_else(|| panic!("a notice to the contact on record {contact}"));
        assert_eq!(
            parse(notice).subject(),
            Some("Customer Portal: a temporary password was sent for your primary login")
        );
    }
    let to_admin = messages
        .iter()
        .find(|m| parse(m).subject() == Some("Customer Portal: sign-in information"))
        .expect("the temporary password mail");
    assert_eq!(parse(to_admin).to().unwrap().first().unwrap().address(), Some("admin@acme.example"));
    let temporary = temporary_in(&gpg.decrypt(&pgp_payload(to_admin)));
    for raw in &messages {
        assert!(!String::from_utf8_lossy(raw).contains(&temporary), "never in clear on the wire");
    }
    let staff_view = app.get_html(&staff, &format!("/staff/cases/{case}")).await;
    assert!(!staff_view.contains(&temporary), "the agent never sees it");
    assert!(staff_view.contains("A temporary password was sent to the primary login"));

    let owner = app.client();
    assert_eq!(location(&app.sign_in(&owner, &primary, &temporary).await), "/password/new");
    let csrf = csrf_token(&app.get_html(&owner, "/password/new").await);
    let fields = [("csrf", csrf.as_str()), ("new_password", NEW_PASSWORD), ("confirm", NEW_PASSWORD)];
    assert_eq!(location(&app.post_form(&owner, "/password/new", &fields).await), "/login?notice=password-set");
    assert_eq!(location(&app.sign_in(&app.client(), &primary, NEW_PASSWORD).await), "/profile");
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let customer_view = app.get_html(&jane, &format!("/cases/{case}")).await;
    assert!(customer_view.contains("Awaiting customer"));
    assert!(!customer_view.contains("Ann confirmed"), "internal verification notes stay with staff");
    let actions = app.audit_actions().await;
    for action in [
        "case_opened",
        "staff_sign_in_succeeded",
        "case_verification_recorded",
        "temporary_password_issued",
        "temporary_password_used",
        "password_set_after_temporary",
    ] {
        assert!(actions.contains(&action.to_string()), "{action}");
    }
    app.portal.verify_audit(None).await.unwrap();
}

#[tokio::test]
async fn without_a_key_the_agent_gets_a_passcode_once_and_the_pickup_holds_the_password() {
    let app = spawn_app().await;
    let (primary, _admin) = account(&app).await;
    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &staff, case).await;
    let response = send(&app, &staff, case, &primary).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let temporary = open_pickup(&app, &passcode_in(&page)).await;
    assert!(!page.contains(&temporary));
    assert_eq!(location(&app.sign_in(&app.client(), &primary, &temporary).await), "/password/new");

    let again = send(&app, &staff, case, &primary).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN, "one call-back allows one sending");
    assert!(again.text().await.unwrap().contains("Record a successful call-back"));
    let reused = app.sign_in(&app.client(), &primary, &temporary).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED, "the used temporary password does not sign in again");
    assert!(reused.text().await.unwrap().contains("has expired or was already used"), "and the page says why");
}

#[tokio::test]
async fn a_phone_request_is_never_recorded_as_an_email_one_by_default() {
    let app = spawn_app().await;
    account(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let form = app.get_html(&staff, "/staff/cases/new").await;
    assert!(!form.contains("value=\"email\" required checked") && !form.contains("value=\"phone\" checked"));
    let fields = [("requester", JANE), ("title_choice", "reset"), ("description", "")];
    let refused = staff_post(&app, &staff, "/staff/cases", &fields).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("Choose the channel"));
    let fields = [("requester", JANE), ("channel", "phone"), ("title_choice", "reset"), ("description", "")];
    let again = staff_post(&app, &staff, "/staff/cases", &fields).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let page = again.text().await.unwrap();
    assert!(page.contains("value=\"phone\" checked"), "the channel chosen is kept");
    let all = portcullis::store::CaseFilter { limit: 100, ..Default::default() };
    assert!(app.portal.case_queue(&all).await.unwrap().is_empty(), "nothing was recorded");
}

#[tokio::test]
async fn support_cannot_reset_a_secondary_login_and_nothing_changes() {
    let app = spawn_app().await;
    let (primary, _admin) = account(&app).await;
    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &staff, case).await;

    let refused = send(&app, &staff, case, JANE).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Support cannot reset passwords for secondary logins"));
    assert!(page.contains(&format!("primary login {primary}")));
    nothing_issued(&app, JANE).await;
    nothing_issued(&app, &primary).await;
    assert_eq!(case_status(&app, case).await, "open");
    assert_eq!(app.sign_in(&app.client(), JANE, JANE_PASSWORD).await.status(), StatusCode::SEE_OTHER);
    assert_refusal_audited(&app, "secondary_login").await;
}

#[tokio::test]
async fn no_reset_without_a_recorded_verification_or_after_it_expired() {
    let app = spawn_app().await;
    let (primary, _admin) = account(&app).await;
    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;

    let refused = send(&app, &staff, case, &primary).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Record a successful call-back"));
    nothing_issued(&app, &primary).await;

    let failed = [("contact", "secondary"), ("outcome", "not_verified"), ("notes", "")];
    staff_post(&app, &staff, &format!("/staff/cases/{case}/verify"), &failed).await;
    assert_eq!(send(&app, &staff, case, &primary).await.status(), StatusCode::FORBIDDEN, "a failed call-back");

    verify(&app, &staff, case).await;
    app.clock.advance(Duration::hours(24) + Duration::seconds(1));
    let staff = staff_sign_in(&app, AGENT, AGENT_PASSWORD).await;
    assert_eq!(send(&app, &staff, case, &primary).await.status(), StatusCode::FORBIDDEN, "expired verification");
    nothing_issued(&app, &primary).await;
    assert_eq!(case_status(&app, case).await, "open");
    assert_refusal_audited(&app, "no_verification").await;
}

#[tokio::test]
async fn a_reset_requested_on_an_inbound_phone_call_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let (primary, _admin) = account(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let fields = [
        ("requester", JANE),
        ("channel", "phone"),
        ("title_choice", "reset"),
        ("description", "Caller says the admin left."),
    ];
    let recorded = staff_post(&app, &staff, "/staff/cases", &fields).await;
    let case: i64 = location(&recorded).trim_start_matches("/staff/cases/").split('?').next().unwrap().parse().unwrap();
    verify(&app, &staff, case).await;

    let refused = send(&app, &staff, case, &primary).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("not accepted from an inbound phone call"));
    nothing_issued(&app, &primary).await;
    assert_eq!(case_status(&app, case).await, "open");
    assert_refusal_audited(&app, "phone_channel").await;
}

#[tokio::test]
async fn a_case_opened_by_a_login_that_is_not_an_authorized_contact_cannot_carry_a_reset() {
    let app = spawn_app().await;
    let (primary, admin) = account(&app).await;
    let fields = [("login_name", "bob.smith"), ("email", "bob@acme.example"), ("password", INITIAL_PASSWORD)];
    assert_eq!(post_as(&app, &admin, "/logins", &fields).await.status(), StatusCode::SEE_OTHER);
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let fields =
        [("requester", "bob.smith"), ("channel", "email"), ("title_choice", "reset"), ("description", "Please reset.")];
    let recorded = staff_post(&app, &staff, "/staff/cases", &fields).await;
    let case: i64 = location(&recorded).trim_start_matches("/staff/cases/").split('?').next().unwrap().parse().unwrap();
    verify(&app, &staff, case).await;

    let refused = send(&app, &staff, case, &primary).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("who is not an authorized contact"));
    nothing_issued(&app, &primary).await;
    assert_eq!(case_status(&app, case).await, "open");
    assert_refusal_audited(&app, "opener_not_authorized").await;
}

#[tokio::test]
async fn only_authorized_contacts_open_cases_but_every_login_sees_them() {
    let app = spawn_app().await;
    let (_primary, admin) = account(&app).await;
    let fields = [("login_name", "bob.smith"), ("email", "bob@acme.example"), ("password", INITIAL_PASSWORD)];
    post_as(&app, &admin, "/logins", &fields).await;
    let set = [("email", "bob@acme.example"), ("password", INITIAL_PASSWORD)];
    post_as(&app, &admin, "/logins/bob.smith", &set).await;
    // bob has no password yet: the administrator's reset gives him one by secure pickup.
    let reset = post_as(&app, &admin, "/logins/bob.smith/reset", &[("password", INITIAL_PASSWORD)]).await;
    let temporary = open_pickup(&app, &passcode_in(&reset.text().await.unwrap())).await;
    let bob = app.client();
    app.sign_in(&bob, "bob.smith", &temporary).await;
    let csrf = csrf_token(&app.get_html(&bob, "/password/new").await);
    let fields = [("csrf", csrf.as_str()), ("new_password", "Bob#Secret77"), ("confirm", "Bob#Secret77")];
    app.post_form(&bob, "/password/new", &fields).await;
    let bob = app.signed_in_client("bob.smith", "Bob#Secret77").await;

    let case = open_reset_case(&app).await;
    let page = app.get_html(&bob, "/cases").await;
    assert!(page.contains(&format!("/cases/{case}")), "bob sees the account's cases");
    assert!(page.contains("Only an authorized contact can open support cases"));
    let refused =
        post_as(&app, &bob, "/cases", &[("title_choice", "other"), ("title", "Hi"), ("description", "x")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store()
            .await
            .cases_of_account(
                &app.store()
                    .await
                    .login_by_name(&LoginName::parse("bob.smith").unwrap())
                    .await
                    .unwrap()
                    .unwrap()
                    .account_id
            )
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn case_status_moves_only_along_allowed_transitions_and_replies_reopen() {
    let app = spawn_app().await;
    account(&app).await;
    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let reply = [("body", "We will call you back."), ("internal", "")];
    staff_post(&app, &staff, &format!("/staff/cases/{case}/comment"), &reply[..1]).await;
    staff_post(&app, &staff, &format!("/staff/cases/{case}/status"), &[("status", "awaiting_customer")]).await;
    assert_eq!(case_status(&app, case).await, "awaiting_customer");

    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    assert!(app.get_html(&jane, &format!("/cases/{case}")).await.contains("We will call you back."));
    post_as(&app, &jane, &format!("/cases/{case}/reply"), &[("body", "Thanks!"), ("action", "reply")]).await;
    assert_eq!(case_status(&app, case).await, "open", "a reply opens it again");

    staff_post(&app, &staff, &format!("/staff/cases/{case}/status"), &[("status", "closed")]).await;
    let reopen = staff_post(&app, &staff, &format!("/staff/cases/{case}/status"), &[("status", "open")]).await;
    assert_eq!(reopen.status(), StatusCode::BAD_REQUEST);
    assert_eq!(case_status(&app, case).await, "closed");
    let late = post_as(&app, &jane, &format!("/cases/{case}/reply"), &[("body", "Hello?"), ("action", "reply")]).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    let notices = app.portal.list_mail(50).await.unwrap().into_iter().filter(|m| m.kind == "case_update").count();
    assert!(notices >= 3, "the opener was told of the opening, the reply and the status changes ({notices})");
}

#[tokio::test]
async fn four_eyes_needs_a_second_agent_s_approval() {
    let app = spawn_app_with(|s| s.support.four_eyes = true).await;
    let (primary, _admin) = account(&app).await;
    let case = open_reset_case(&app).await;
    let alice = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &alice, case).await;
    let refused = send(&app, &alice, case, &primary).await;
    assert!(refused.text().await.unwrap().contains("A second agent must approve"));
    staff_post(&app, &alice, &format!("/staff/cases/{case}/approve"), &[]).await;
    let own = send(&app, &alice, case, &primary).await;
    assert!(own.text().await.unwrap().contains("another agent than the one who sends"));
    nothing_issued(&app, &primary).await;

    let bert = staff_client(&app, "bert", "support", "Second#Agent2").await;
    let approved = staff_post(&app, &bert, &format!("/staff/cases/{case}/approve"), &[]).await;
    assert_eq!(location(&approved), format!("/staff/cases/{case}?notice=approved"));
    assert_eq!(send(&app, &alice, case, &primary).await.status(), StatusCode::OK, "passcode page: sent");
    assert_eq!(case_status(&app, case).await, "awaiting_customer");
}

#[tokio::test]
async fn an_approval_allows_one_sending_and_a_new_call_back_in_the_same_second_needs_a_new_one() {
    let app = spawn_app_with(|s| s.support.four_eyes = true).await;
    let (primary, _admin) = account(&app).await;
    let case = open_reset_case(&app).await;
    let alice = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let bert = staff_client(&app, "bert", "support", "Second#Agent2").await;
    verify(&app, &alice, case).await;
    staff_post(&app, &bert, &format!("/staff/cases/{case}/approve"), &[]).await;
    assert_eq!(send(&app, &alice, case, &primary).await.status(), StatusCode::OK, "passcode page: sent");
    let login = app.store().await.login_by_name(&LoginName::parse(&primary).unwrap()).await.unwrap().unwrap();
    let first = app.store().await.latest_temporary_password(&login.id).await.unwrap().unwrap();
    let mail_before = app.portal.list_mail(100).await.unwrap().len();
    let status_before = case_status(&app, case).await;

    // The clock has not moved: the new call-back has the approval's very timestamp.
    verify(&app, &alice, case).await;
    let again = send(&app, &alice, case, &primary).await;
    assert!(again.text().await.unwrap().contains("A second agent must approve"));
    let page = app.get_html(&alice, &format!("/staff/cases/{case}")).await;
    assert!(page.contains("bert at") && page.contains("(used by a sending)"), "the page shows the approval used up");
    let latest = app.store().await.latest_temporary_password(&login.id).await.unwrap().unwrap();
    assert_eq!(latest.id, first.id, "no second temporary password");
    assert_eq!(app.portal.list_mail(100).await.unwrap().len(), mail_before, "no mail");
    assert_eq!(case_status(&app, case).await, status_before, "the case is unchanged");
    assert_refusal_audited(&app, "needs_approval").await;
}

#[tokio::test]
async fn the_administrator_s_resets_cannot_use_up_support_s_budget_for_the_primary_login() {
    let app = spawn_app().await;
    let (primary, admin) = account(&app).await;
    for _ in 0..3 {
        let sent = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
        assert_eq!(sent.status(), StatusCode::OK);
    }
    let fourth = post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert!(fourth.text().await.unwrap().contains("Too many temporary passwords"), "the administrator's budget");

    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &staff, case).await;
    let sent = send(&app, &staff, case, &primary).await;
    assert_eq!(sent.status(), StatusCode::OK, "support still sends to the primary login");
    assert!(sent.text().await.unwrap().contains("Give this passcode by voice"));
    assert_eq!(case_status(&app, case).await, "awaiting_customer");
}

#[tokio::test]
async fn staff_and_customer_sessions_are_separate_and_only_admins_administer_staff() {
    let app = spawn_app().await;
    let (primary, admin) = account(&app).await;
    let agent = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    let boss = staff_client(&app, "boss", "admin", "Admin#Console3").await;

    let denied = app.get(&agent, "/staff/admin").await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(!app.get_html(&agent, "/staff").await.contains("href=\"/staff/admin\""));
    assert!(app.get_html(&boss, "/staff/admin").await.contains("alice"));
    let add = staff_post(
        &app,
        &agent,
        "/staff/admin",
        &[("username", "mallory"), ("role", "admin"), ("password", "Mallory#Pass1")],
    )
    .await;
    assert_eq!(add.status(), StatusCode::FORBIDDEN);
    assert!(app.store().await.staff_by_username("mallory").await.unwrap().is_none());
    assert!(app.audit_actions().await.contains(&"access_denied".to_string()));

    assert_eq!(location(&app.get(&admin, "/staff").await), "/staff/login", "a customer session is not a staff one");
    assert_eq!(location(&app.get(&agent, "/profile").await), "/login", "a staff session is not a customer one");
    let as_customer = staff_login_form(&app, &app.client(), &primary, INITIAL_PASSWORD).await;
    assert_eq!(as_customer.status(), StatusCode::UNAUTHORIZED, "customer credentials do not open the console");

    let disabled = staff_post(&app, &boss, "/staff/admin/alice/disable", &[]).await;
    assert_eq!(location(&disabled), "/staff/admin?notice=staff-saved");
    assert_eq!(location(&app.get(&agent, "/staff").await), "/staff/login?notice=session-expired");
}

#[tokio::test]
async fn the_operator_disables_and_enables_a_staff_member_from_the_command_line() {
    use crate::cli::{assert_refused, portcullis, stderr, stdout};
    let app = spawn_app().await;
    let agent = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;

    let disabled = portcullis(&app, &["staff", "disable", AGENT], None).await;
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert!(stdout(&disabled).contains("Staff member alice disabled"));
    assert_eq!(location(&app.get(&agent, "/staff").await), "/staff/login?notice=session-expired");
    let refused = staff_login_form(&app, &app.client(), AGENT, AGENT_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "a disabled member cannot sign in");
    assert_refused(&app, &["staff", "disable", "nobody"], None, "no staff member is named nobody").await;

    let enabled = portcullis(&app, &["staff", "enable", AGENT], None).await;
    assert!(enabled.status.success(), "{}", stderr(&enabled));
    staff_sign_in(&app, AGENT, AGENT_PASSWORD).await;
    assert!(app.audit_actions().await.contains(&"staff_disabled".to_string()));
}

#[tokio::test]
async fn forms_refuse_fields_they_do_not_offer_such_as_a_chosen_password() {
    let app = spawn_app().await;
    let (primary, admin) = account(&app).await;
    let fields = [("password", INITIAL_PASSWORD), ("temporary_password", "Chosen#Pass1")];
    let reset = post_as(&app, &admin, "/logins/jane.doe/reset", &fields).await;
    assert_eq!(reset.status(), StatusCode::BAD_REQUEST);
    nothing_issued(&app, JANE).await;

    let case = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &staff, case).await;
    let fields = [("login", primary.as_str()), ("password", AGENT_PASSWORD), ("new_password", "Chosen#Pass1")];
    let send = staff_post(&app, &staff, &format!("/staff/cases/{case}/send"), &fields).await;
    assert_eq!(send.status(), StatusCode::BAD_REQUEST);
    nothing_issued(&app, &primary).await;
    assert_eq!(case_status(&app, case).await, "open");
}

#[tokio::test]
async fn staff_sign_in_locks_after_repeated_failures_like_customer_sign_in() {
    let app = spawn_app().await;
    app.portal.create_staff(AGENT, StaffRole::Support, &Password::new(AGENT_PASSWORD)).await.unwrap();
    let client = app.client();
    let attempt = |password: &'static str| {
        let (app, client) = (&app, &client);
        async move { staff_login_form(app, client, AGENT, password).await.status() }
    };
    for _ in 0..5 {
        assert_eq!(attempt("Wrong#Guess1").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(AGENT_PASSWORD).await, StatusCode::UNAUTHORIZED, "locked: even the right password fails");
    app.clock.advance(Duration::minutes(16));
    assert_eq!(attempt(AGENT_PASSWORD).await, StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"staff_sign_in_failed".to_string()));
}

#[tokio::test]
async fn one_login_cannot_flood_the_queue() {
    let app = spawn_app().await;
    account(&app).await;
    let jane = app.signed_in_client(JANE, JANE_PASSWORD).await;
    let open = || post_as(&app, &jane, "/cases", &[("title_choice", "other"), ("title", "Help"), ("description", "x")]);
    for _ in 0..10 {
        assert_eq!(open().await.status(), StatusCode::SEE_OTHER);
    }
    let refused = open().await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("You opened 10 cases in the last hour"));
    assert_eq!(
        app.portal.case_queue(&portcullis::store::CaseFilter { limit: 100, ..Default::default() }).await.unwrap().len(),
        10
    );
}

#[tokio::test]
async fn a_call_back_recorded_as_failed_meanwhile_stops_a_sending_in_flight() {
    use portcullis::clock::Clock;
    use portcullis::store::CaseUpdate;
    let app = spawn_app().await;
    account(&app).await;
    let number = open_reset_case(&app).await;
    let staff = staff_client(&app, AGENT, "support", AGENT_PASSWORD).await;
    verify(&app, &staff, number).await;
    let case = app.store().await.case_by_number(number).await.unwrap().unwrap();
    let verified = app.store().await.case_verifications(&case.id).await.unwrap().pop().unwrap();
    // Agent B recorded "not verified" after agent A's checks passed but before A's transaction.
    let denied = [("contact", "secondary"), ("outcome", "not_verified"), ("notes", "Ben did not ask for this.")];
    staff_post(&app, &staff, &format!("/staff/cases/{number}/verify"), &denied).await;

    let update = CaseUpdate {
        case_id: case.id.clone(),
        expected_status: case.status,
        new_status: None,
        entry: None,
        verification: None,
        approval: None,
        consume_verification: Some(verified.id.clone()),
        consume_approval: None,
        notice: None,
    };
    assert!(
        !app.store().await.update_case(&update, &[], app.clock.now()).await.unwrap(),
        "the older call-back no longer counts"
    );
    let latest = app.store().await.case_verifications(&case.id).await.unwrap();
    assert!(latest.iter().all(|v| !v.used), "nothing was used up");
}
