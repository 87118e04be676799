use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use time::Duration;

use crate::helpers::{INITIAL_PASSWORD, TestApp, csrf_token, location, spawn_app_with};
use crate::mail::{login, parse};
use crate::smtp_sink::SmtpSink;

const QUESTIONS: [&str; 3] =
    ["What was the name of your first pet?", "In what city were you born?", "What was the name of your first school?"];
pub const ANSWERS: [&str; 3] = ["Rex", "Paris", "Hillside Primary"];

pub async fn app(relay: &SmtpSink) -> TestApp {
    let url = relay.url();
    spawn_app_with(move |s| {
        s.mail.transport = portcullis::config::MailTransport::Smtp;
        s.mail.smtp_url = url;
        s.recovery.response_ms = 100;
    })
    .await
}

/// My Profile → Security questions, through the form.
pub async fn set_questions(
    app: &TestApp,
    client: &reqwest::Client,
    password: &str,
    answers: [&str; 3],
) -> reqwest::Response {
    let page = app.get_html(client, "/profile/questions").await;
    let csrf = csrf_token(&page);
    let mut fields = vec![("csrf".to_string(), csrf), ("password".to_string(), password.to_string())];
    for (n, (question, answer)) in QUESTIONS.iter().zip(answers).enumerate() {
        fields.push((format!("question_{}", n + 1), question.to_string()));
        fields.push((format!("answer_{}", n + 1), answer.to_string()));
    }
    client.post(app.url("/profile/questions")).form(&fields).send().await.unwrap()
}

/// "Reset your password" → "Enter your username" → Next.
pub async fn request_reset(app: &TestApp, client: &reqwest::Client, username: &str) -> reqwest::Response {
    let csrf = csrf_token(&app.get_html(client, "/recover").await);
    app.post_form(client, "/recover", &[("csrf", &csrf), ("username", username)]).await
}

/// The recovery emails the relay received so far (security notices may arrive in between).
fn recovery_emails(relay: &SmtpSink) -> Vec<Vec<u8>> {
    let recovery = |m: &Vec<u8>| parse(m).subject() == Some("Customer Portal: reset your password");
    relay.messages().into_iter().filter(recovery).collect()
}

/// The link in the newest recovery email, once `count` of them arrived.
pub async fn emailed_link(relay: &SmtpSink, count: usize) -> String {
    for _ in 0..150 {
        if recovery_emails(relay).len() >= count {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let text = recovery_emails(relay)
        .last()
        .and_then(|m| parse(m).body_text(0).map(|t| t.into_owned()))
        .expect("a recovery email");
    let link = text.split_whitespace().find(|w| w.starts_with("http://portal.test/recover/")).unwrap().to_string();
    link.trim_start_matches("http://portal.test").to_string()
}

/// Opens the link and answers the questions shown with the right answers.
pub async fn answer_questions(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    answers: [&str; 3],
) -> reqwest::Response {
    let opened = app.get(client, path).await;
    assert_eq!(location(&opened), "/recover/answer");
    let page = app.get_html(client, "/recover/answer").await;
    let answer_for = |field: &str| {
        let label = page.split(&format!("<label for=\"{field}\">")).nth(1).unwrap();
        let question = &label[..label.find('<').unwrap()];
        let index =
            QUESTIONS.iter().position(|q| question.contains(&q.replace('\'', "&#39;")) || question == *q).unwrap();
        answers[index].to_string()
    };
    let (first, second) = (answer_for("answer_1"), answer_for("answer_2"));
    let csrf = csrf_token(&page);
    app.post_form(client, "/recover/answer", &[("csrf", &csrf), ("answer_1", &first), ("answer_2", &second)]).await
}

pub async fn submit_new_password(
    app: &TestApp,
    client: &reqwest::Client,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let page = app.get_html(client, "/recover/answer").await;
    let csrf = csrf_token(&page);
    app.post_form(client, "/recover/password", &[("csrf", &csrf), ("new_password", new), ("confirm", confirm)]).await
}

pub async fn primary_with_questions(app: &TestApp) -> String {
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    assert_eq!(
        location(&set_questions(app, &client, INITIAL_PASSWORD, ANSWERS).await),
        "/profile?notice=questions-saved"
    );
    primary
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_the_emailed_link_and_two_answers() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let other_browser = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let visitor = app.client();

    let sign_in_page = app.get_html(&visitor, "/login").await;
    assert!(sign_in_page.contains("Having trouble logging in?"));
    let help = app.get_html(&visitor, "/help").await;
    assert!(help.contains("Reset your password") && help.contains("checked") && help.contains(">Next<"));
    assert!(app.get_html(&visitor, "/recover?choice=reset").await.contains("Enter your username"));
    let sent = request_reset(&app, &visitor, &primary).await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("An email has been sent to the address registered to that login"));

    let link = emailed_link(&relay, 1).await;
    let opened = app.get(&visitor, &link).await;
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    let answered = answer_questions(&app, &visitor, &link, ANSWERS).await;
    assert_eq!(location(&answered), "/recover/answer");
    let form = app.get_html(&visitor, "/recover/answer").await;
    assert!(form.contains("Enter new password") && form.contains("Confirm new password"));
    let done = submit_new_password(&app, &visitor, "Recovered#Pass2", "Recovered#Pass2").await;

    assert_eq!(location(&done), "/login?notice=password-reset");
    assert!(!app.is_signed_in(&other_browser).await, "every session ended");
    assert!(!app.is_signed_in(&visitor).await, "no automatic sign-in");
    assert_eq!(app.sign_in(&app.client(), &primary, INITIAL_PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in(&app.client(), &primary, "Recovered#Pass2").await.status(), StatusCode::SEE_OTHER);
    let notice = relay.wait_for(2).await;
    assert!(notice.iter().any(|m| parse(m).subject() == Some("Customer Portal: your password was changed")));
    let entries = app.portal.recent_audit(1000).await.unwrap();
    for action in ["recovery_requested", "recovery_link_opened", "recovery_answers_right", "recovery_completed"] {
        let entry = entries.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action}"));
        assert_eq!(entry.subject.as_deref(), Some(primary.as_str()), "{action} names the login");
    }
}

#[tokio::test]
async fn a_link_works_once_and_the_raw_token_is_not_stored() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let visitor = app.client();
    request_reset(&app, &visitor, &primary).await;
    let link = emailed_link(&relay, 1).await;
    let token = link.trim_start_matches("/recover/").to_string();
    answer_questions(&app, &visitor, &link, ANSWERS).await;
    submit_new_password(&app, &visitor, "Recovered#Pass2", "Recovered#Pass2").await;

    let again = app.client();
    app.get(&again, &link).await;
    let reused = app.get(&again, "/recover/answer").await;

    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(reused.text().await.unwrap().contains("This link is not valid"));
    assert!(!crate::canary::database_bytes(&app).await.windows(token.len()).any(|w| w == token.as_bytes()));
    let logs = crate::helpers::captured_logs();
    assert!(!logs.windows(token.len()).any(|w| w == token.as_bytes()), "the token is not in the logs");
}

#[tokio::test]
async fn parallel_guesses_cannot_exceed_the_allowed_attempts() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let visitor = app.client();
    request_reset(&app, &visitor, &primary).await;
    let link = emailed_link(&relay, 1).await;
    app.get(&visitor, &link).await;
    let csrf = csrf_token(&app.get_html(&visitor, "/recover/answer").await);

    let guesses: Vec<_> = (0..8)
        .map(|n| {
            let fields = [("csrf", csrf.clone()), ("answer_1", format!("guess{n}")), ("answer_2", format!("guess{n}"))];
            let request = visitor.post(app.url("/recover/answer")).form(&fields);
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    for guess in guesses {
        guess.await.unwrap();
    }

    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "recovery_answers_wrong").count(), 3, "only 3 guesses were checked");
    assert_eq!(app.get(&visitor, "/recover/answer").await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_link_is_valid_until_exactly_its_lifetime() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    request_reset(&app, &app.client(), &primary).await;
    let link = emailed_link(&relay, 1).await;

    app.clock.advance(Duration::minutes(30));
    let at_limit = app.client();
    app.get(&at_limit, &link).await;
    assert_eq!(app.get(&at_limit, "/recover/answer").await.status(), StatusCode::OK);
    app.clock.advance(Duration::seconds(1));
    assert_eq!(app.get(&at_limit, "/recover/answer").await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_newer_request_or_a_password_change_voids_an_older_link() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    request_reset(&app, &app.client(), &primary).await;
    let first = emailed_link(&relay, 1).await;
    request_reset(&app, &app.client(), &primary).await;
    let second = emailed_link(&relay, 2).await;
    assert_ne!(first, second);

    let (older, newer) = (app.client(), app.client());
    app.get(&older, &first).await;
    app.get(&newer, &second).await;
    assert_eq!(app.get(&older, "/recover/answer").await.status(), StatusCode::GONE);
    assert_eq!(app.get(&newer, "/recover/answer").await.status(), StatusCode::OK);

    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    app.change_password(&client, INITIAL_PASSWORD, "Changed#Pass2", "Changed#Pass2").await;
    assert_eq!(app.get(&newer, "/recover/answer").await.status(), StatusCode::GONE, "a password change voids it");
}

#[tokio::test]
async fn eight_concurrent_submissions_of_one_link_complete_at_most_once() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let visitor = app.client();
    request_reset(&app, &visitor, &primary).await;
    let link = emailed_link(&relay, 1).await;
    answer_questions(&app, &visitor, &link, ANSWERS).await;
    let csrf = csrf_token(&app.get_html(&visitor, "/recover/answer").await);

    let attempts: Vec<_> = (0..8)
        .map(|n| {
            let password = format!("Racing#Pass{n}");
            let fields = [("csrf", csrf.clone()), ("new_password", password.clone()), ("confirm", password)];
            let request = visitor.post(app.url("/recover/password")).form(&fields);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut completed = 0;
    for attempt in attempts {
        if location(&attempt.await.unwrap()) == "/login?notice=password-reset" {
            completed += 1;
        }
    }

    assert_eq!(completed, 1);
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "recovery_completed").count(), 1);
}

#[tokio::test]
async fn the_page_after_enter_your_username_is_the_same_for_known_and_unknown_names() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let no_questions = app.create_account(INITIAL_PASSWORD).await;

    let mut pages = Vec::new();
    for name in [primary.as_str(), "ZZZ0000", "nobody.here", no_questions.as_str(), "x"] {
        let client = app.client();
        let response = request_reset(&app, &client, name).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        pages.push((status, body.replace(&csrf_token(&app.get_html(&client, "/recover").await), "")));
    }

    assert!(pages.iter().all(|p| p == &pages[0]), "identical status and body whatever was typed");
    emailed_link(&relay, 2).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(recovery_emails(&relay).len(), 2, "mail only for the two real logins");
}

#[tokio::test]
async fn answers_are_normalised_and_wrong_ones_burn_the_link_and_pause_recovery() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let jane = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    set_questions(&app, &jane, "Jane#Pass1", ANSWERS).await;

    request_reset(&app, &app.client(), "jane.doe").await;
    let link = emailed_link(&relay, 1).await;
    let visitor = app.client();
    for attempt in 1..=3 {
        let response = answer_questions(&app, &visitor, &link, ["wrong", "wrong", "wrong"]).await;
        let page = response.text().await.unwrap();
        if attempt < 3 {
            assert!(page.contains(&format!("{} more attempt", 3 - attempt)), "{page}");
        } else {
            assert!(
                page.contains("Contact your vendor&#39;s technical support with your primary login details"),
                "{page}"
            );
            assert!(page.contains("not in the format of 3 letters followed by 4 digits (e.g. ZZZ9999)"));
        }
    }
    assert_eq!(app.get(&visitor, "/recover/answer").await.status(), StatusCode::GONE, "the link is burned");
    request_reset(&app, &app.client(), "jane.doe").await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(recovery_emails(&relay).len(), 1, "recovery is paused: no new link");
    assert!(app.audit_actions().await.contains(&"recovery_paused".to_string()));

    app.clock.advance(Duration::minutes(61));
    request_reset(&app, &app.client(), "jane.doe").await;
    let fresh = emailed_link(&relay, 2).await;
    let normalised = ["  REX ", "paris", " hillside   PRIMARY"];
    let answered = answer_questions(&app, &app.client(), &fresh, normalised).await;
    assert_eq!(location(&answered), "/recover/answer", "answers match whatever their case and spacing");
}

#[tokio::test]
async fn without_questions_the_link_leads_to_guidance_for_the_login_kind() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;

    request_reset(&app, &app.client(), &primary).await;
    let primary_link = emailed_link(&relay, 1).await;
    let client = app.client();
    app.get(&client, &primary_link).await;
    let primary_page = app.get_html(&client, "/recover/answer").await;
    request_reset(&app, &app.client(), "jane.doe").await;
    let jane_link = emailed_link(&relay, 2).await;
    let client = app.client();
    app.get(&client, &jane_link).await;
    let jane_page = app.get_html(&client, "/recover/answer").await;

    for page in [&primary_page, &jane_page] {
        assert!(page.contains("No security questions are set up for this login"));
        assert!(page.contains("with your primary login details"));
    }
    assert!(!primary_page.contains("data-testid=\"administrator-guidance\""));
    assert!(jane_page.contains("data-testid=\"administrator-guidance\""));
    let public = app.get_html(&app.client(), "/recover").await;
    assert!(!public.contains("No security questions"), "never on the public page");
}

#[tokio::test]
async fn the_new_password_follows_the_same_policy_and_history_as_create_new_password() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    for _ in 0..5 {
        app.sign_in(&app.client(), &primary, "Wrong#Pass1").await;
    }
    let visitor = app.client();
    request_reset(&app, &visitor, &primary).await;
    let link = emailed_link(&relay, 1).await;
    answer_questions(&app, &visitor, &link, ANSWERS).await;

    let weak = submit_new_password(&app, &visitor, "weak", "weak").await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let weak_page = weak.text().await.unwrap();
    assert!(weak_page.contains("Use at least 8 characters.") && weak_page.contains("Include at least one digit."));
    let common = submit_new_password(&app, &visitor, "Password123!", "Password123!").await;
    assert!(common.text().await.unwrap().contains("This password is too common"));
    let reused = submit_new_password(&app, &visitor, INITIAL_PASSWORD, INITIAL_PASSWORD).await;
    assert!(reused.text().await.unwrap().contains("Do not reuse any of your previous 7 passwords."));
    let mismatch = submit_new_password(&app, &visitor, "Recovered#Pass2", "Recovered#Pass3").await;
    assert!(mismatch.text().await.unwrap().contains("The new password and its confirmation do not match."));

    let done = submit_new_password(&app, &visitor, "Recovered#Pass2", "Recovered#Pass2").await;
    assert_eq!(location(&done), "/login?notice=password-reset", "a locked login can still recover");
    assert_eq!(app.sign_in(&app.client(), &primary, "Recovered#Pass2").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn security_questions_are_checked_and_their_answers_stored_only_as_hashes() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    let client = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    assert!(app.get_html(&client, "/profile").await.contains("data-testid=\"no-questions\""));

    let cases: [([&str; 3], &str, &str); 4] = [
        (["Rex", "Paris", "x"], INITIAL_PASSWORD, "Each answer needs at least 3 characters."),
        (["Rex", "rex ", "Oakwood"], INITIAL_PASSWORD, "Give a different answer to each question."),
        (["Rex", &primary.to_lowercase(), "Oakwood"], INITIAL_PASSWORD, "An answer may not be your login name."),
        (ANSWERS, "Wrong#Pass9", "The existing password is not correct."),
    ];
    for (answers, password, expected) in cases {
        let response = set_questions(&app, &client, password, answers).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{expected}");
        assert!(response.text().await.unwrap().contains(expected), "{expected}");
    }
    set_questions(&app, &client, INITIAL_PASSWORD, ["Rexanimal", "Parisville", "Hillside Primary"]).await;

    let profile = app.get_html(&client, "/profile").await;
    assert!(QUESTIONS.iter().all(|q| profile.contains(&q.replace('\'', "&#39;")) || profile.contains(q)));
    assert!(!profile.contains("Rexanimal"), "answers are never shown");
    let stored = app.store().await.security_answers(&login(&app, &primary).await.id).await.unwrap();
    assert!(stored.iter().all(|a| a.hash.as_str().starts_with("$argon2id$")));
    let database = crate::canary::database_bytes(&app).await;
    for answer in ["rexanimal", "Rexanimal", "parisville", "hillside primary"] {
        assert!(!database.windows(answer.len()).any(|w| w == answer.as_bytes()), "{answer} in clear");
    }
}

#[tokio::test]
async fn disabling_a_login_voids_its_recovery_link() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = primary_with_questions(&app).await;
    let visitor = app.client();
    request_reset(&app, &visitor, &primary).await;
    let link = emailed_link(&relay, 1).await;
    app.get(&visitor, &link).await;
    assert_eq!(app.get(&visitor, "/recover/answer").await.status(), StatusCode::OK);

    app.portal.set_login_disabled(&portcullis::domain::LoginName::parse(&primary).unwrap(), true).await.unwrap();

    assert_eq!(app.get(&visitor, "/recover/answer").await.status(), StatusCode::GONE);
    let sent = request_reset(&app, &app.client(), &primary).await;
    assert!(sent.text().await.unwrap().contains("An email has been sent"), "the same page as for anyone");
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(recovery_emails(&relay).len(), 1, "no link for a disabled login");
}

#[tokio::test]
async fn a_temporary_password_voids_the_login_s_open_recovery_link() {
    let relay = SmtpSink::start().await;
    let app = app(&relay).await;
    let primary = app.create_account(INITIAL_PASSWORD).await;
    app.create_secondary(&primary, "jane.doe", "Jane#Pass1").await;
    let jane = app.signed_in_client("jane.doe", "Jane#Pass1").await;
    assert_eq!(location(&set_questions(&app, &jane, "Jane#Pass1", ANSWERS).await), "/profile?notice=questions-saved");
    request_reset(&app, &app.client(), "jane.doe").await;
    let link = emailed_link(&relay, 1).await;

    let admin = app.signed_in_client(&primary, INITIAL_PASSWORD).await;
    let reset = crate::people::post_as(&app, &admin, "/logins/jane.doe/reset", &[("password", INITIAL_PASSWORD)]).await;
    assert_eq!(reset.status(), StatusCode::OK);

    let visitor = app.client();
    app.get(&visitor, &link).await;
    assert_eq!(app.get(&visitor, "/recover/answer").await.status(), StatusCode::GONE, "the link is invalid");
}
