//! Which key does what on each screen. The same tables drive key handling and the `?` help
//! overlay, so the help can never disagree with the keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    SwitchTab,
    Quit,
    ForceQuit,
    Help,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Left,
    Right,
    NextField,
    PrevField,
    Submit,
    ToggleRegister,
    FocusSearch,
    CycleSort,
    ToggleInStock,
    PriceRange,
    ClearFilters,
    Add,
    AddQuantity,
    Increase,
    Decrease,
    Remove,
    AcceptPrices,
    Checkout,
    Open,
    Refresh,
    Logout,
    SetQuantity,
    Customer,
    Hold,
    Recall,
    Unpaid,
    VoidSale,
    Return,
    Shift,
    Reprint,
    Pay,
    Ship,
    Deliver,
    CancelOrder,
    WriteOff,
    SumShifts,
    NewProduct,
    Discount,
    OpenPrice,
    Verify,
    Reject,
    New,
    Edit,
    Stock,
    Archive,
    Delete,
    Role,
    ToggleActive,
    ResetPassword,
    Export,
}

pub struct Binding {
    pub keys: &'static [KeyCode],
    pub ctrl: bool,
    pub command: Command,
    pub label: &'static str,
    pub help: &'static str,
}

const fn bind(
    keys: &'static [KeyCode],
    command: Command,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        ctrl: false,
        command,
        label,
        help,
    }
}

/// Keys that work on every screen once logged in, when no text field has focus.
pub const GLOBAL: &[Binding] = &[
    bind(
        &[
            KeyCode::Char('1'),
            KeyCode::Char('2'),
            KeyCode::Char('3'),
            KeyCode::Char('4'),
            KeyCode::Char('5'),
        ],
        Command::SwitchTab,
        "1-5",
        "switch tab: Catalog, Cart, Orders, Till, Admin",
    ),
    bind(&[KeyCode::Char('?')], Command::Help, "?", "this help"),
    bind(
        &[KeyCode::Char('q')],
        Command::Quit,
        "q",
        "quit (asks first)",
    ),
    bind(&[KeyCode::Char('L')], Command::Logout, "L", "log out"),
    Binding {
        keys: &[KeyCode::Char('c')],
        ctrl: true,
        command: Command::ForceQuit,
        label: "Ctrl+C",
        help: "quit now, from anywhere",
    },
];

pub const LOGIN: &[Binding] = &[
    bind(
        &[KeyCode::Tab, KeyCode::Down],
        Command::NextField,
        "Tab",
        "next field",
    ),
    bind(
        &[KeyCode::BackTab, KeyCode::Up],
        Command::PrevField,
        "Shift+Tab",
        "previous field",
    ),
    bind(
        &[KeyCode::Enter],
        Command::Submit,
        "Enter",
        "log in / register",
    ),
    bind(
        &[KeyCode::F(2)],
        Command::ToggleRegister,
        "F2",
        "switch between log in and register",
    ),
    bind(&[KeyCode::Esc], Command::Quit, "Esc", "quit (asks first)"),
];

pub const CATALOG: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        Command::Up,
        "↑ k",
        "previous product",
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        Command::Down,
        "↓ j",
        "next product",
    ),
    bind(&[KeyCode::PageUp], Command::PageUp, "PgUp", "page up"),
    bind(&[KeyCode::PageDown], Command::PageDown, "PgDn", "page down"),
    bind(
        &[KeyCode::Left, KeyCode::Char('h')],
        Command::Left,
        "← h",
        "previous category",
    ),
    bind(
        &[KeyCode::Right, KeyCode::Char('l')],
        Command::Right,
        "→ l",
        "next category",
    ),
    bind(
        &[KeyCode::Char('/')],
        Command::FocusSearch,
        "/",
        "search (Enter or Esc to leave the box)",
    ),
    bind(
        &[KeyCode::Char('s')],
        Command::CycleSort,
        "s",
        "sort: name, price ↑, price ↓, newest",
    ),
    bind(
        &[KeyCode::Char('i')],
        Command::ToggleInStock,
        "i",
        "in-stock only on/off",
    ),
    bind(
        &[KeyCode::Char('p')],
        Command::PriceRange,
        "p",
        "price range",
    ),
    bind(
        &[KeyCode::Char('x')],
        Command::ClearFilters,
        "x",
        "clear search and filters",
    ),
    bind(
        &[KeyCode::Char('a')],
        Command::Add,
        "a",
        "add one to the cart",
    ),
    bind(
        &[KeyCode::Char('A')],
        Command::AddQuantity,
        "A",
        "add a quantity to the cart",
    ),
    bind(&[KeyCode::Char('r')], Command::Refresh, "r", "reload"),
];

pub const CART: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        Command::Up,
        "↑ k",
        "previous line",
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        Command::Down,
        "↓ j",
        "next line",
    ),
    bind(
        &[KeyCode::Char('+'), KeyCode::Char('=')],
        Command::Increase,
        "+",
        "one more",
    ),
    bind(&[KeyCode::Char('-')], Command::Decrease, "-", "one fewer"),
    bind(
        &[KeyCode::Char('d'), KeyCode::Delete],
        Command::Remove,
        "d Del",
        "remove the line",
    ),
    bind(
        &[KeyCode::Char('y')],
        Command::AcceptPrices,
        "y",
        "accept changed prices",
    ),
    bind(&[KeyCode::Char('c')], Command::Checkout, "c", "check out"),
    bind(&[KeyCode::Char('r')], Command::Refresh, "r", "reload"),
];

pub const ORDERS: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        Command::Up,
        "↑ k",
        "previous order",
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        Command::Down,
        "↓ j",
        "next order",
    ),
    bind(
        &[KeyCode::Enter],
        Command::Open,
        "Enter",
        "show items and payment",
    ),
    bind(
        &[KeyCode::Char('p')],
        Command::Pay,
        "p",
        "in an order: pay it (while it waits for payment)",
    ),
    bind(
        &[KeyCode::Char('c')],
        Command::CancelOrder,
        "c",
        "in an order: cancel it (while it waits for payment; asks)",
    ),
    bind(&[KeyCode::Char('r')], Command::Refresh, "r", "reload"),
];

/// The till: function keys, so the scan line keeps every printable key.
pub const POS: &[Binding] = &[
    bind(
        &[KeyCode::Enter],
        Command::Submit,
        "Enter",
        "add the SKU typed or scanned (3*SKU adds three), or search by name",
    ),
    bind(&[KeyCode::Up], Command::Up, "↑", "previous line or match"),
    bind(&[KeyCode::Down], Command::Down, "↓", "next line or match"),
    bind(
        &[KeyCode::F(2)],
        Command::SetQuantity,
        "F2",
        "change the line's quantity",
    ),
    bind(
        &[KeyCode::F(3)],
        Command::Customer,
        "F3",
        "customer: walk-in, or find by phone / username",
    ),
    bind(
        &[KeyCode::F(4)],
        Command::Hold,
        "F4",
        "hold this sale and start another",
    ),
    bind(
        &[KeyCode::F(5)],
        Command::Recall,
        "F5",
        "recall a held sale",
    ),
    bind(
        &[KeyCode::F(6)],
        Command::Unpaid,
        "F6",
        "unpaid sales (a rejected code, a failed push): pay again or void",
    ),
    bind(
        &[KeyCode::F(7)],
        Command::Return,
        "F7",
        "take goods back against a receipt (type or scan its number)",
    ),
    bind(&[KeyCode::F(8)], Command::Remove, "F8", "void the line"),
    bind(
        &[KeyCode::F(9)],
        Command::VoidSale,
        "F9",
        "void the whole sale (asks)",
    ),
    bind(
        &[KeyCode::F(10)],
        Command::Shift,
        "F10",
        "shift: open with the float, cash in/out, X report, close with the count (Z)",
    ),
    bind(
        &[KeyCode::F(11)],
        Command::Reprint,
        "F11",
        "reprint a receipt (COPY) of one of your last sales",
    ),
    bind(
        &[KeyCode::F(12)],
        Command::Pay,
        "F12",
        "pay: cash, M-Pesa code or card",
    ),
    bind(&[KeyCode::F(1)], Command::Help, "F1", "this help"),
    bind(
        &[KeyCode::Esc],
        Command::Back,
        "Esc",
        "close matches / leave the scan line (then 1-5 switch tabs)",
    ),
    bind(
        &[KeyCode::Char('/')],
        Command::FocusSearch,
        "/",
        "back to the scan line",
    ),
    Binding {
        keys: &[KeyCode::Char('n')],
        ctrl: true,
        command: Command::NewProduct,
        label: "Ctrl+N",
        help: "admins: add the SKU nothing matched as a new product",
    },
    Binding {
        keys: &[KeyCode::Char('d')],
        ctrl: true,
        command: Command::Discount,
        label: "Ctrl+D",
        help: "discount (amount or %, with a reason) on the line; again for the whole sale",
    },
    Binding {
        keys: &[KeyCode::Char('o')],
        ctrl: true,
        command: Command::OpenPrice,
        label: "Ctrl+O",
        help: "open-price line: sell what the shop has not entered at a price you type",
    },
];

/// The admin console. Section keys act on the selected row; each section's keys are also
/// listed under it.
pub const ADMIN: &[Binding] = &[
    bind(&[KeyCode::Tab], Command::NextField, "Tab", "next section"),
    bind(
        &[KeyCode::BackTab],
        Command::PrevField,
        "Shift+Tab",
        "previous section",
    ),
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        Command::Up,
        "↑ k",
        "previous row",
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        Command::Down,
        "↓ j",
        "next row",
    ),
    bind(&[KeyCode::PageUp], Command::PageUp, "PgUp", "page up"),
    bind(&[KeyCode::PageDown], Command::PageDown, "PgDn", "page down"),
    bind(
        &[KeyCode::Enter],
        Command::Open,
        "Enter",
        "view in full: order, product (price history), audit entry",
    ),
    bind(
        &[KeyCode::Char('/')],
        Command::FocusSearch,
        "/",
        "filter or search this section",
    ),
    bind(&[KeyCode::Char('r')], Command::Refresh, "r", "reload"),
    bind(&[KeyCode::Char('s')], Command::Ship, "s", "orders: ship"),
    bind(
        &[KeyCode::Char('d')],
        Command::Deliver,
        "d",
        "orders: delivered",
    ),
    bind(
        &[KeyCode::Char('c')],
        Command::CancelOrder,
        "c",
        "orders: cancel (restocks; says the refund due)",
    ),
    bind(
        &[KeyCode::Char('W')],
        Command::WriteOff,
        "W",
        "orders: write off an unpaid till sale (no restock)",
    ),
    bind(
        &[KeyCode::Char('S')],
        Command::SumShifts,
        "S",
        "shifts: sum the shifts listed (their days, their cashier)",
    ),
    bind(
        &[KeyCode::Char('P')],
        Command::Reprint,
        "P",
        "orders: print the receipt again, marked COPY",
    ),
    bind(
        &[KeyCode::Char('T')],
        Command::Pay,
        "T",
        "orders: take payment for an unpaid one at the till",
    ),
    bind(
        &[KeyCode::Char('v')],
        Command::Verify,
        "v",
        "payments: verify a pending payment",
    ),
    bind(
        &[KeyCode::Char('f')],
        Command::Reject,
        "f",
        "payments: reject (mark failed)",
    ),
    bind(
        &[KeyCode::Char('n')],
        Command::New,
        "n",
        "products, categories, users: new",
    ),
    bind(
        &[KeyCode::Char('e')],
        Command::Edit,
        "e",
        "products: edit · categories: rename",
    ),
    bind(
        &[KeyCode::Char('+')],
        Command::Stock,
        "+",
        "products, low stock: adjust stock with a reason",
    ),
    bind(
        &[KeyCode::Char('a')],
        Command::Archive,
        "a",
        "products: archive / back on sale",
    ),
    bind(
        &[KeyCode::Char('D')],
        Command::Delete,
        "D",
        "products, categories: delete (asks)",
    ),
    bind(
        &[KeyCode::Char('m')],
        Command::Role,
        "m",
        "users: change role",
    ),
    bind(
        &[KeyCode::Char('t')],
        Command::ToggleActive,
        "t",
        "users: deactivate / reactivate",
    ),
    bind(
        &[KeyCode::Char('p')],
        Command::ResetPassword,
        "p",
        "users: reset password",
    ),
    bind(
        &[KeyCode::Char('E')],
        Command::Export,
        "E",
        "reports: export as CSV",
    ),
];

/// The command `key` means in `table`, if any.
pub fn lookup(table: &[Binding], key: &KeyEvent) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    table
        .iter()
        .find(|b| b.ctrl == ctrl && b.keys.contains(&key.code))
        .map(|b| b.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn vim_and_arrow_keys_mean_the_same() {
        assert_eq!(
            lookup(CATALOG, &key(KeyCode::Char('j'))),
            Some(Command::Down)
        );
        assert_eq!(lookup(CATALOG, &key(KeyCode::Down)), Some(Command::Down));
        assert_eq!(
            lookup(CART, &key(KeyCode::Char('+'))),
            Some(Command::Increase)
        );
    }

    #[test]
    fn ctrl_c_is_not_plain_c() {
        assert_eq!(
            lookup(
                GLOBAL,
                &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Command::ForceQuit)
        );
        assert_eq!(lookup(GLOBAL, &key(KeyCode::Char('c'))), None);
        assert_eq!(
            lookup(CART, &key(KeyCode::Char('c'))),
            Some(Command::Checkout)
        );
    }

    #[test]
    fn no_key_means_two_things_on_one_screen() {
        for table in [LOGIN, CATALOG, CART, ORDERS, POS, ADMIN] {
            let mut seen = Vec::new();
            for binding in table.iter().chain(GLOBAL) {
                for code in binding.keys {
                    assert!(
                        !seen.contains(&(code, binding.ctrl)),
                        "{code:?} bound twice"
                    );
                    seen.push((code, binding.ctrl));
                }
            }
        }
    }
}
