//! A tokens file is read again when it changes: a token added there works and one
//! removed stops working, without a restart; a file that cannot be read keeps the tokens
//! in force.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Platform, options};
use hallguard_platform::auth::{TokenBook, TokenReload, hash_token};
use tonic::Code;

const FIRST: &str = "first-duty-officer-token-000001";
const SECOND: &str = "second-duty-officer-token-00002";

/// Asks every 50 ms, for at most 3 s, until `token` gets `expected`.
async fn until(platform: &Platform, token: &str, expected: Result<(), Code>) -> bool {
    for _ in 0..60 {
        if platform.backlog(token).await == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn tokens_added_to_or_removed_from_the_file_take_effect_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    std::fs::write(&file, format!("duty_officer:desk-1:{}\n", hash_token(FIRST))).unwrap();
    let reload = TokenReload {
        base: TokenBook::default(),
        file: file.clone(),
        every: Duration::from_millis(50),
    };
    let mut options = options(reload.load().unwrap());
    options.token_reload = Some(reload);
    let platform = Platform::start(options).await;
    assert!(until(&platform, FIRST, Ok(())).await, "the first token works");
    assert_eq!(platform.backlog(SECOND).await, Err(Code::Unauthenticated));

    // The second added, the first revoked.
    std::fs::write(
        &file,
        format!("# rotated\nduty_officer:desk-2:{}\n", hash_token(SECOND)),
    )
    .unwrap();
    assert!(until(&platform, SECOND, Ok(())).await, "the added token works");
    assert_eq!(platform.backlog(FIRST).await, Err(Code::Unauthenticated));

    // A broken file keeps the tokens in force.
    std::fs::write(&file, "duty_officer:desk-3:not-a-hash\n").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(platform.backlog(SECOND).await, Ok(()));
    platform.stop().await;
}
