//! The email outbox: delivered through SMTP to a small in-test SMTP server, and
//! logged (and kept) when no server is configured.

use std::sync::{Arc, Mutex};

use partner_portal::services::mail::{Mailer, deliver_pending};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::helpers::spawn;

/// Accepts SMTP sessions and keeps each message's DATA. It speaks just enough of
/// RFC 5321 for a client that sends plain, unauthenticated mail.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ready\r\n").await.ok();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            keep.lock().expect("lock").push(data.take().unwrap_or_default());
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (url, received)
}

#[tokio::test]
async fn the_outbox_goes_out_through_smtp_once() {
    let app = spawn().await;
    let pending = app.count("email_outbox", "status = 'pending'").await;
    assert!(pending > 0, "the demo's decisions queued emails");
    let (url, received) = smtp_sink().await;
    let mailer =
        Mailer::new(Some(&url), "Partner Portal <portal@acme.example>", "https://portal.acme.example").expect("mailer");
    let sent = deliver_pending(&app.db, &mailer, 500).await.expect("deliver");
    assert_eq!(i64::try_from(sent).expect("count"), pending);
    assert_eq!(app.count("email_outbox", "status = 'sent'").await, pending);
    let messages = received.lock().expect("lock").clone();
    assert_eq!(i64::try_from(messages.len()).expect("count"), pending);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("To: bob@blueharbor.example") && m.contains("https://portal.acme.example/requests/")),
        "links point at the portal's address"
    );
    // Nothing is sent twice.
    assert_eq!(deliver_pending(&app.db, &mailer, 500).await.expect("again"), 0);
    assert_eq!(i64::try_from(received.lock().expect("lock").len()).expect("count"), pending);
}

#[tokio::test]
async fn without_smtp_emails_are_logged_and_kept_and_a_dead_server_leaves_them_pending() {
    let app = spawn().await;
    let pending = app.count("email_outbox", "status = 'pending'").await;
    // A server that refuses connections: each email records the failure and waits.
    let dead = Mailer::new(Some("smtp://127.0.0.1:9"), "portal@acme.example", "http://x").expect("mailer");
    assert_eq!(deliver_pending(&app.db, &dead, 500).await.expect("deliver"), 0);
    assert_eq!(
        app.count("email_outbox", "status = 'pending' AND attempts = 1 AND last_error IS NOT NULL").await,
        pending
    );
    let log = Mailer::new(None, "portal@acme.example", "http://x").expect("mailer");
    assert_eq!(i64::try_from(deliver_pending(&app.db, &log, 500).await.expect("log")).expect("n"), pending);
    assert_eq!(app.count("email_outbox", "status = 'logged'").await, pending);
}
