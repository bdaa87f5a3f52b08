//! Enters the terminal exactly as the app does, then panics: `tests/panic_restore.rs` runs
//! this in a pseudo-terminal and checks the terminal comes back (main screen, cursor shown)
//! with the panic message readable.

fn main() {
    let _terminal = bytemtaani::tui::terminal::enter().expect("a terminal");
    std::thread::sleep(std::time::Duration::from_millis(300));
    panic!("forced panic to check that the terminal is restored");
}
