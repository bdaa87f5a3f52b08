//! Amounts in large type (three rows per character), for the till's running total that
//! the customer reads from across the counter.

use ratatui::text::Line;

pub const HEIGHT: usize = 3;

/// The three rows of one character; anything but digits and separators is blank.
fn glyph(c: char) -> [&'static str; HEIGHT] {
    match c {
        '0' => ["█▀█", "█ █", "█▄█"],
        '1' => ["▀█ ", " █ ", "▄█▄"],
        '2' => ["▀▀█", "█▀▀", "█▄▄"],
        '3' => ["▀▀█", " ▀█", "▄▄█"],
        '4' => ["█ █", "▀▀█", "  █"],
        '5' => ["█▀▀", "▀▀█", "▄▄█"],
        '6' => ["█▀▀", "█▀█", "█▄█"],
        '7' => ["▀▀█", "  █", "  █"],
        '8' => ["█▀█", "█▀█", "█▄█"],
        '9' => ["█▀█", "▀▀█", "▄▄█"],
        '.' => [" ", " ", "▄"],
        ',' => [" ", " ", "▖"],
        _ => ["   ", "   ", "   "],
    }
}

/// Columns `text` takes in large type.
pub fn width(text: &str) -> usize {
    text.chars()
        .map(|c| glyph(c)[0].chars().count() + 1)
        .sum::<usize>()
        .saturating_sub(1)
}

/// `text` in large type: three lines, characters one column apart.
pub fn lines(text: &str) -> [Line<'static>; HEIGHT] {
    std::array::from_fn(|row| {
        let joined: Vec<&str> = text.chars().map(|c| glyph(c)[row]).collect();
        Line::raw(joined.join(" "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_drawn_three_rows_high_and_as_wide_as_said() {
        let rows = lines("10.5");
        assert_eq!(rows[0].to_string(), "▀█  █▀█   █▀▀");
        assert_eq!(rows[2].to_string(), "▄█▄ █▄█ ▄ ▄▄█");
        for row in &rows {
            assert_eq!(row.width(), width("10.5"));
        }
    }
}
