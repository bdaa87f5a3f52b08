//! A panic while the terminal is in the app's hands gives it back: main screen, cursor
//! shown, the message readable (checked in a pseudo-terminal).

mod common;

use std::time::{Duration, Instant};

use common::pty::spawn;
use portable_pty::CommandBuilder;

#[test]
fn a_forced_panic_restores_the_terminal() {
    // Built as a program by scripts/test.sh (`cargo build --examples`).
    let example = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/panic_in_terminal");
    assert!(
        example.exists(),
        "{} is missing: run scripts/test.sh (it builds the examples first)",
        example.display()
    );
    let mut command = CommandBuilder::new(example);
    command.env("TERM", "xterm-256color");
    let (mut screen, mut child) = spawn(command);

    let deadline = Instant::now() + Duration::from_secs(10);
    while !screen.left_dirty().0 {
        assert!(
            Instant::now() < deadline,
            "the program never entered the alternate screen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "it panicked");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        screen.left_dirty(),
        (false, false),
        "main screen, cursor shown"
    );
    assert!(screen.text().contains("forced panic"), "{}", screen.text());
}
