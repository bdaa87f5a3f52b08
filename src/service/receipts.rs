//! Where a receipt goes after the screen: a text file (always), and an ESC/POS printer when
//! one is configured (a device path, or `tcp://host:port` for a network printer).

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::domain::clock::shop_time;
use crate::domain::order::short_id;
use crate::domain::receipt::Receipt;
use crate::domain::shift::ShiftReport;
use crate::domain::{Error, Result};

const PRINTER_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printer {
    Device(PathBuf),
    Network(String),
}

impl Printer {
    /// `""` is no printer; `tcp://host:port` a network printer; anything else a device path.
    pub fn from_setting(setting: &str) -> Option<Printer> {
        let setting = setting.trim();
        if setting.is_empty() {
            None
        } else if let Some(address) = setting.strip_prefix("tcp://") {
            Some(Printer::Network(address.to_owned()))
        } else {
            Some(Printer::Device(PathBuf::from(setting)))
        }
    }

    async fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        let write = async {
            match self {
                Printer::Network(address) => {
                    let mut stream = tokio::net::TcpStream::connect(address).await?;
                    stream.write_all(bytes).await?;
                    stream.shutdown().await
                }
                Printer::Device(path) => {
                    let mut device = tokio::fs::OpenOptions::new().write(true).open(path).await?;
                    device.write_all(bytes).await?;
                    device.flush().await
                }
            }
        };
        tokio::time::timeout(PRINTER_TIMEOUT, write)
            .await
            .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
    }
}

/// What happened to a receipt: where it was saved, and whether it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub path: PathBuf,
    /// None without a printer; Some(Err(reason)) when the printer failed.
    pub printed: Option<std::result::Result<(), String>>,
}

#[derive(Debug, Clone)]
pub struct Receipts {
    dir: PathBuf,
    printer: Option<Printer>,
}

impl Receipts {
    pub fn new(dir: PathBuf, printer: Option<Printer>) -> Self {
        Receipts { dir, printer }
    }

    /// Saves the receipt, then prints it. A printer that is off or out of paper is reported,
    /// never an error: the sale is done and the file is there to print again.
    pub async fn issue(&self, receipt: &Receipt) -> Result<Issued> {
        self.keep(&file_name(receipt), &receipt.text(), &escpos(receipt))
            .await
    }

    /// A shift's X or Z report, saved and printed like a receipt.
    pub async fn issue_report(&self, report: &ShiftReport) -> Result<Issued> {
        let name = format!(
            "{}-shift-{}-{}.txt",
            shop_time(report.at).format("%Y%m%d-%H%M%S"),
            short_id(report.shift.id),
            if report.shift.closed_at.is_some() {
                "Z"
            } else {
                "X"
            }
        );
        let bytes = escpos_lines(&report.lines(), None, None);
        self.keep(&name, &report.text(), &bytes).await
    }

    async fn keep(&self, name: &str, text: &str, bytes: &[u8]) -> Result<Issued> {
        let path = self.dir.join(name);
        let saved = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&path, text).await
        };
        saved
            .await
            .map_err(|err| Error::internal("saving a receipt", &err))?;
        let printed = match &self.printer {
            None => None,
            Some(printer) => Some(printer.send(bytes).await.map_err(|err| {
                tracing::warn!(%err, ?printer, "receipt printer");
                format!("The printer did not print ({err}); the receipt is saved.")
            })),
        };
        Ok(Issued { path, printed })
    }
}

const INIT: &[u8] = b"\x1b@";
const BOLD_ON: &[u8] = b"\x1bE\x01";
const BOLD_OFF: &[u8] = b"\x1bE\x00";
const FEED_AND_CUT: &[u8] = b"\x1bd\x04\x1dVB\x00";
/// Centred; a barcode 64 dots high, modules 2 dots wide, its text printed below; then
/// CODE128 (`GS k 73`), its length to follow.
const BARCODE: &[u8] = b"\x1ba\x01\x1dh\x40\x1dw\x02\x1dH\x02\x1dk\x49";
const LEFT: &[u8] = b"\x1ba\x00\n";

/// The receipt in ESC/POS: initialise, the text (the total in bold), KRA's checker link as a
/// QR code once eTIMS signed it, a sale's number as a barcode (scanned at the till to take
/// goods back), feed, cut.
pub fn escpos(receipt: &Receipt) -> Vec<u8> {
    let number = receipt.number();
    let barcode = receipt.refund.is_none().then_some(number.as_str());
    let link = receipt
        .fiscal
        .as_ref()
        .and_then(|f| f.verify_link.as_deref());
    escpos_lines(&receipt.lines(), link, barcode)
}

/// The printer's own QR code (`GS ( k`, model 2, modules 5 dots, correction L), centred.
fn qr(text: &str) -> Vec<u8> {
    let data = text.as_bytes();
    let stored = data.len() + 3;
    let mut bytes = b"\x1ba\x01".to_vec();
    bytes.extend_from_slice(b"\x1d(k\x04\x001A2\x00");
    bytes.extend_from_slice(b"\x1d(k\x03\x001C\x05");
    bytes.extend_from_slice(b"\x1d(k\x03\x001E0");
    bytes.extend_from_slice(&[0x1d, b'(', b'k', (stored % 256) as u8, (stored / 256) as u8]);
    bytes.extend_from_slice(b"1P0");
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\x1d(k\x03\x001Q0");
    bytes.extend_from_slice(LEFT);
    bytes
}

/// Lines in ESC/POS (totals and a shift's shortfall in bold), an optional QR code and
/// barcode, feed, cut. Printers start in a plain code page, so anything beyond ASCII is
/// printed as `?`.
fn escpos_lines(lines: &[String], qr_text: Option<&str>, barcode: Option<&str>) -> Vec<u8> {
    let mut bytes = INIT.to_vec();
    for line in lines {
        let bold = ["TOTAL", "REFUND", "SHORT", "OVER"]
            .iter()
            .any(|word| line.starts_with(word));
        if bold {
            bytes.extend_from_slice(BOLD_ON);
        }
        bytes.extend(
            line.chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' }),
        );
        bytes.push(b'\n');
        if bold {
            bytes.extend_from_slice(BOLD_OFF);
        }
    }
    if let Some(text) = qr_text {
        bytes.extend(qr(text));
    }
    if let Some(text) = barcode {
        // Code set B ("{B"): the text as printed, a few letters and digits.
        let code = format!("{{B{text}");
        bytes.extend_from_slice(BARCODE);
        bytes.push(code.len() as u8);
        bytes.extend_from_slice(code.as_bytes());
        bytes.extend_from_slice(LEFT);
    }
    bytes.extend_from_slice(FEED_AND_CUT);
    bytes
}

/// A receipt's file name: the shop's date and time (as printed on it), then its number.
fn file_name(receipt: &Receipt) -> String {
    format!(
        "{}-{}{}.txt",
        shop_time(receipt.at).format("%Y%m%d-%H%M%S"),
        receipt.number(),
        if receipt.copy { "-COPY" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_file_is_named_by_the_shops_clock_like_the_receipt() {
        use crate::domain::payment::PaymentMethod;
        use crate::domain::receipt::Tendered;
        let receipt = Receipt {
            shop: crate::config::Settings::built_in().shop,
            order_id: uuid::Uuid::from_u128(0xabcdef12_0000_0000_0000_000000000000),
            // 21:30 UTC is 00:30 the next day in Nairobi.
            at: "2026-11-25T21:30:00Z".parse().unwrap(),
            cashier: "cashier".into(),
            customer: None,
            items: Vec::new(),
            total: crate::domain::Money::ZERO,
            payment: Tendered {
                method: PaymentMethod::Cash,
                transaction_id: "CASH-1".into(),
                cash: None,
                verified: true,
            },
            parts: Vec::new(),
            sandbox: false,
            refund: None,
            copy: false,
            fiscal: None,
        };
        assert_eq!(file_name(&receipt), "20261126-003000-ABCDEF12.txt");
        assert!(receipt.text().contains("26/11/2026 00:30"));
    }

    #[test]
    fn a_sales_receipt_prints_its_number_as_a_barcode_and_a_return_slip_none() {
        let mut receipt = crate::domain::receipt::tests::sample();
        let barcode = |bytes: &[u8]| {
            bytes
                .windows(BARCODE.len())
                .position(|w| w == BARCODE)
                .map(|at| bytes[at + BARCODE.len()..at + BARCODE.len() + 11].to_vec())
        };
        assert_eq!(
            barcode(&escpos(&receipt)).as_deref(),
            Some(&b"\x0a{BABCDEF12"[..])
        );
        receipt.refund = Some(crate::domain::receipt::Refund {
            of_sale: "0BADF00D".into(),
            restocked: true,
            reason: String::new(),
            awaiting_reversal: false,
        });
        assert_eq!(barcode(&escpos(&receipt)), None);
    }

    #[test]
    fn a_signed_invoice_prints_kras_link_as_a_qr_code_before_the_barcode() {
        let mut receipt = crate::domain::receipt::tests::sample();
        assert!(!escpos(&receipt).windows(3).any(|w| w == b"(k\x04"));
        receipt.fiscal = Some(crate::domain::etims::tests::signed_print());
        let bytes = escpos(&receipt);
        let link = b"https://etims-sbx.kra.go.ke/x?Data=P051234567X00SIGNATURE0000001";
        // Stored as model 2 data: its length + 3, little end first, then "1P0" and the link.
        let mut stored = vec![0x1d, b'(', b'k', (link.len() + 3) as u8, 0];
        stored.extend_from_slice(b"1P0");
        stored.extend_from_slice(link);
        let qr_at = bytes.windows(stored.len()).position(|w| w == stored);
        let barcode_at = bytes.windows(BARCODE.len()).position(|w| w == BARCODE);
        assert!(
            qr_at.is_some() && qr_at < barcode_at,
            "{qr_at:?} {barcode_at:?}"
        );
    }

    #[test]
    fn printer_settings_are_read() {
        assert_eq!(Printer::from_setting(" "), None);
        assert_eq!(
            Printer::from_setting("tcp://10.0.0.9:9100"),
            Some(Printer::Network("10.0.0.9:9100".into()))
        );
        assert_eq!(
            Printer::from_setting("/dev/usb/lp0"),
            Some(Printer::Device("/dev/usb/lp0".into()))
        );
    }
}
