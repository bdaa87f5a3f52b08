//! A QR code in text: two rows of modules per line with half blocks, light modules drawn,
//! so it reads on the usual dark terminal background. A phone's camera opens the link.

use qrcode::{Color, EcLevel, QrCode};

use crate::domain::etims::FiscalPrint;

/// Light margin around the code, in modules (scanners need a quiet zone).
const QUIET: usize = 2;

/// The code's lines, or None when `text` is too long for a QR code.
pub fn lines(text: &str) -> Option<Vec<String>> {
    let code = QrCode::with_error_correction_level(text, EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let light = |x: usize, y: usize| {
        let inside = (QUIET..QUIET + width).contains(&x) && (QUIET..QUIET + width).contains(&y);
        !inside || colors[(y - QUIET) * width + (x - QUIET)] == Color::Light
    };
    Some(
        (0..size)
            .step_by(2)
            .map(|y| {
                (0..size)
                    .map(|x| match (light(x, y), y + 1 < size && light(x, y + 1)) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    })
                    .collect()
            })
            .collect(),
    )
}

/// KRA's checker link of a signed tax invoice as a QR code, for the customer's phone;
/// nothing before KRA has signed it.
pub fn invoice(print: &FiscalPrint) -> Vec<String> {
    print
        .verify_link
        .as_deref()
        .and_then(lines)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_square_with_a_quiet_zone() {
        let lines =
            lines("https://www.sandbox.paypal.com/checkoutnow?token=5O190127TN364715T").unwrap();
        let width = lines[0].chars().count();
        assert_eq!(lines.len(), width.div_ceil(2), "two module rows per line");
        assert!(
            lines[0].chars().all(|c| c == '█'),
            "the quiet zone is light"
        );
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert!(
            lines[2].contains(' ') || lines[2].contains('▄'),
            "dark modules show"
        );
    }
}
