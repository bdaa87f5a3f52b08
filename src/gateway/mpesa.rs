//! What an M-Pesa STK Push is, whichever gateway sends it: the request, the provider's
//! acknowledgement, the result of a query, the callback's content, and the result codes in
//! words a cashier can say to a customer.

use serde::Deserialize;

use crate::domain::values::Phone;

/// A push to the customer's phone asking for their M-Pesa PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkPush {
    pub phone: Phone,
    /// M-Pesa takes whole shillings.
    pub amount: u64,
    /// Shown on the customer's phone; at most 12 characters.
    pub account_reference: String,
    pub description: String,
}

/// The provider took the request (the customer has not paid yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAccepted {
    pub merchant_request_id: String,
    pub checkout_request_id: String,
}

/// Where a push stands, as STK Push Query tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StkStatus {
    /// The customer has not answered yet.
    Pending,
    Paid,
    Failed {
        code: i64,
        reason: String,
    },
}

impl StkStatus {
    pub fn from_code(code: i64) -> StkStatus {
        if code == 0 {
            StkStatus::Paid
        } else {
            StkStatus::Failed {
                code,
                reason: explain(code).to_owned(),
            }
        }
    }
}

/// A result code in words for the person at the till or kiosk.
pub fn explain(code: i64) -> &'static str {
    match code {
        0 => "Paid.",
        1 => "The customer's M-Pesa balance is too low.",
        1001 => "The customer's phone is busy with another M-Pesa payment; try again in a minute.",
        1019 => "The request expired before the customer answered; send it again.",
        1032 => "The customer cancelled the request on their phone.",
        1037 => "The customer's phone could not be reached; check it is on, then try again.",
        2001 => "The M-Pesa PIN was wrong; send the request again.",
        _ => "M-Pesa could not complete the payment.",
    }
}

/// What Safaricom posts to the callback URL (`Body.stkCallback`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CallbackEnvelope {
    #[serde(rename = "Body")]
    pub body: CallbackBody,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CallbackBody {
    #[serde(rename = "stkCallback")]
    pub stk_callback: StkCallback,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StkCallback {
    #[serde(rename = "MerchantRequestID")]
    pub merchant_request_id: String,
    #[serde(rename = "CheckoutRequestID")]
    pub checkout_request_id: String,
    pub result_code: i64,
    pub result_desc: String,
    /// Only on success.
    pub callback_metadata: Option<Metadata>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    pub item: Vec<MetadataItem>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataItem {
    pub name: String,
    pub value: Option<serde_json::Value>,
}

impl StkCallback {
    fn item(&self, name: &str) -> Option<&serde_json::Value> {
        self.callback_metadata
            .as_ref()?
            .item
            .iter()
            .find(|i| i.name == name)?
            .value
            .as_ref()
    }

    /// `MpesaReceiptNumber`: the payment's transaction id.
    pub fn receipt(&self) -> Option<String> {
        self.item("MpesaReceiptNumber")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    }

    /// `Amount` in shillings (a number, sometimes with decimals).
    pub fn amount(&self) -> Option<rust_decimal::Decimal> {
        let value = self.item("Amount")?;
        value.as_i64().map(rust_decimal::Decimal::from).or_else(|| {
            value
                .as_f64()
                .and_then(|f| rust_decimal::Decimal::try_from(f).ok())
        })
    }

    /// `PhoneNumber` (a number like 254712345678).
    pub fn phone(&self) -> Option<String> {
        let value = self.item("PhoneNumber")?;
        value
            .as_u64()
            .map(|n| n.to_string())
            .or_else(|| value.as_str().map(str::to_owned))
    }
}

/// A payment to the shop's till number or paybill, as Daraja's C2B API posts it to the
/// confirmation (and validation) URL: flat, every value a string.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TillConfirmation {
    #[serde(rename = "TransID")]
    pub trans_id: String,
    /// `YYYYMMDDHHMMSS`, Nairobi time.
    pub trans_time: String,
    pub trans_amount: String,
    pub business_short_code: String,
    #[serde(default)]
    pub bill_ref_number: String,
    #[serde(rename = "MSISDN", default)]
    pub msisdn: String,
    #[serde(default)]
    pub first_name: String,
}

impl TillConfirmation {
    /// When the customer paid, or None when `TransTime` is not a time.
    pub fn paid_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::NaiveDateTime::parse_from_str(self.trans_time.trim(), "%Y%m%d%H%M%S")
            .ok()?
            .and_local_timezone(crate::domain::clock::eat())
            .single()
            .map(|at| at.with_timezone(&chrono::Utc))
    }

    /// The amount paid: shillings, at most two decimals, more than zero.
    pub fn amount(&self) -> Option<rust_decimal::Decimal> {
        let amount: rust_decimal::Decimal = self.trans_amount.trim().parse().ok()?;
        (amount > rust_decimal::Decimal::ZERO && amount.scale() <= 2).then_some(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_success_callback_is_read() {
        let body = r#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
            "CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,
            "ResultDesc":"The service request is processed successfully.",
            "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},
            {"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},
            {"Name":"TransactionDate","Value":20191219102115},
            {"Name":"PhoneNumber","Value":254708374149}]}}}}"#;
        let cb = serde_json::from_str::<CallbackEnvelope>(body)
            .unwrap()
            .body
            .stk_callback;
        assert_eq!(cb.checkout_request_id, "ws_CO_191220191020363925");
        assert_eq!(cb.receipt().as_deref(), Some("NLJ7RT61SV"));
        assert_eq!(cb.amount(), Some(rust_decimal::Decimal::ONE));
        assert_eq!(cb.phone().as_deref(), Some("254708374149"));
    }

    #[test]
    fn a_cancelled_callback_has_no_metadata_and_a_plain_reason() {
        let body = r#"{"Body":{"stkCallback":{"MerchantRequestID":"1","CheckoutRequestID":"ws_1",
            "ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}"#;
        let cb = serde_json::from_str::<CallbackEnvelope>(body)
            .unwrap()
            .body
            .stk_callback;
        assert_eq!(cb.receipt(), None);
        assert_eq!(
            StkStatus::from_code(cb.result_code),
            StkStatus::Failed {
                code: 1032,
                reason: "The customer cancelled the request on their phone.".into()
            }
        );
    }

    #[test]
    fn a_documented_till_confirmation_is_read_in_nairobi_time() {
        let body = r#"{"TransactionType":"Buy Goods","TransID":"LGR219G3EY",
            "TransTime":"20170727104247","TransAmount":"10.00","BusinessShortCode":"600134",
            "BillRefNumber":"","InvoiceNumber":"","OrgAccountBalance":"49197.00",
            "ThirdPartyTransID":"","MSISDN":"2547 ***** 149","FirstName":"John"}"#;
        let paid = serde_json::from_str::<TillConfirmation>(body).unwrap();
        assert_eq!(paid.trans_id, "LGR219G3EY");
        assert_eq!(paid.amount(), Some(rust_decimal::Decimal::TEN));
        assert_eq!(
            paid.paid_at().unwrap().to_rfc3339(),
            "2017-07-27T07:42:47+00:00"
        );
        let odd = TillConfirmation {
            trans_amount: "10.005".into(),
            trans_time: "yesterday".into(),
            ..paid
        };
        assert_eq!((odd.amount(), odd.paid_at()), (None, None));
    }

    #[test]
    fn every_code_a_cashier_meets_has_its_own_words() {
        let codes = [1, 1001, 1019, 1032, 1037, 2001];
        let words: std::collections::HashSet<_> = codes.iter().map(|c| explain(*c)).collect();
        assert_eq!(words.len(), codes.len());
        assert!(!words.contains(explain(9999)));
    }
}
