//! KRA's eTIMS, the way OSCU (KRA's online service) and VSCU (the program a shop runs
//! itself) both answer it: `POST {base}/saveTrnsSalesOsdc` with the header fields `tin`,
//! `bhfId` and `cmcKey`, and a sandbox that answers like them without credentials. The
//! request is built by the service layer from the stored invoice; this layer only talks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{GatewayError, http, json};
use crate::domain::etims::DEMO_ITEM_CLASSES;

/// KRA's own test service.
pub const SANDBOX_URL: &str = "https://etims-api-sbx.kra.go.ke/etims-api";

/// How long a call to KRA may take before the invoice waits for the next try.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The answer codes this shop acts on (KRA's "API Response Code" list).
const SUCCEEDED: &str = "000";
/// "There is an overlapped Data": the invoice number was received before.
const OVERLAPPED: &str = "994";
/// "There is no search result": nothing changed since the last ask.
const NOTHING_NEW: &str = "001";

/// Why KRA could not be asked, in KRA's name (a [`GatewayError`] speaks of payment
/// providers).
pub fn trouble(err: GatewayError) -> String {
    match err {
        GatewayError::Unreachable(why) => format!("KRA cannot be reached ({why})"),
        GatewayError::Malformed(why) => format!("KRA's answer could not be read ({why})"),
        GatewayError::Refused(why) | GatewayError::NotConfigured(why) => why,
    }
}

/// Who the shop is to eTIMS: the trader's PIN, the branch, and the key `selectInitOsdcInfo`
/// gave the device.
#[derive(Clone, PartialEq, Eq)]
pub struct Device {
    pub pin: String,
    pub branch: String,
    pub cmc_key: String,
}

/// Never shows the key (settings are logged).
impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("pin", &self.pin)
            .field("branch", &self.branch)
            .finish_non_exhaustive()
    }
}

/// What KRA gives a device once (`selectInitOsdcInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Initialised {
    #[serde(rename = "sdcId")]
    pub scu_id: String,
    #[serde(rename = "cmcKey")]
    pub cmc_key: String,
}

/// Asks KRA for the key and control unit id of the device `serial` of the trader `pin`'s
/// `branch`. KRA's refusal (an unknown device, one already installed: code 902) is told
/// with its reason.
pub async fn initialise(
    base_url: &str,
    pin: &str,
    branch: &str,
    serial: &str,
) -> Result<Initialised, GatewayError> {
    let response = http(TIMEOUT)
        .post(format!(
            "{}/selectInitOsdcInfo",
            base_url.trim_end_matches('/')
        ))
        .json(&serde_json::json!({ "tin": pin, "bhfId": branch, "dvcSrlNo": serial }))
        .send()
        .await?;
    let reply = json::<Reply>(response).await?;
    if reply.code != SUCCEEDED {
        return Err(reply.refused());
    }
    let info = reply
        .data
        .as_ref()
        .and_then(|d| d.get("info"))
        .cloned()
        .ok_or_else(|| GatewayError::Malformed("no device information".into()))?;
    serde_json::from_value(info).map_err(|err| GatewayError::Malformed(err.to_string()))
}

/// What KRA signs an invoice with; printed on the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Signature {
    #[serde(rename = "curRcptNo", deserialize_with = "number")]
    pub receipt_number: i64,
    #[serde(rename = "totRcptNo", deserialize_with = "number")]
    pub total_receipts: i64,
    #[serde(rename = "intrlData")]
    pub internal_data: String,
    #[serde(rename = "rcptSign")]
    pub signature: String,
    /// The control unit's date and time, `YYYYMMDDhhmmss`.
    #[serde(rename = "sdcDateTime")]
    pub scu_time: String,
}

/// KRA sends receipt numbers as numbers or as strings.
fn number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("not a whole number")),
        Value::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!("not a number: {other}"))),
    }
}

/// What KRA made of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Signed(Signature),
    /// KRA holds this invoice number already: it was sent before and the answer was lost.
    AlreadyReceived(String),
    /// KRA refused the invoice (a code other than success), with its reason.
    Refused {
        code: String,
        message: String,
    },
}

#[derive(Deserialize)]
struct Reply {
    #[serde(rename = "resultCd")]
    code: String,
    #[serde(rename = "resultMsg", default)]
    message: String,
    /// KRA's clock as it answered, `YYYYMMDDhhmmss`.
    #[serde(rename = "resultDt", default)]
    answered_at: String,
    data: Option<Value>,
}

/// What KRA made of a product's registration (`saveItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemAnswer {
    Registered,
    Refused { code: String, message: String },
}

/// One of KRA's item classes (`selectItemClsList`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ItemClass {
    #[serde(rename = "itemClsCd")]
    pub code: String,
    #[serde(rename = "itemClsNm")]
    pub name: String,
    #[serde(rename = "itemClsLvl")]
    pub level: i16,
    #[serde(rename = "taxTyCd", default)]
    pub tax_type: Option<String>,
    #[serde(rename = "useYn", default)]
    pub in_use: Option<String>,
}

/// The item classes KRA changed since it was last asked, and its time of answering (the
/// next ask's `lastReqDt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemClasses {
    pub classes: Vec<ItemClass>,
    pub answered_at: String,
}

#[derive(Debug)]
pub enum Etims {
    Oscu(Oscu),
    Sandbox(Sandbox),
}

#[derive(Debug)]
pub struct Oscu {
    base_url: String,
    device: Device,
    http: reqwest::Client,
}

impl Oscu {
    /// Posts `body` (with the device's own fields added) to KRA's `call`. KRA's server
    /// failing counts as unreachable: the caller tries later.
    async fn post(&self, call: &str, body: &Value) -> Result<Reply, GatewayError> {
        let mut body = body.clone();
        if let Value::Object(fields) = &mut body {
            fields.insert("tin".into(), self.device.pin.clone().into());
            fields.insert("bhfId".into(), self.device.branch.clone().into());
        }
        let response = self
            .http
            .post(format!("{}/{call}", self.base_url))
            .header("tin", &self.device.pin)
            .header("bhfId", &self.device.branch)
            .header("cmcKey", &self.device.cmc_key)
            .json(&body)
            .send()
            .await?;
        if response.status().is_server_error() {
            return Err(GatewayError::Unreachable(format!(
                "KRA answered HTTP {}",
                response.status().as_u16()
            )));
        }
        json::<Reply>(response).await
    }
}

impl Etims {
    pub fn oscu(base_url: &str, device: Device) -> Self {
        Etims::Oscu(Oscu {
            base_url: base_url.trim_end_matches('/').to_owned(),
            device,
            http: http(TIMEOUT),
        })
    }

    pub fn sandbox() -> Self {
        Etims::Sandbox(Sandbox::default())
    }

    pub fn pretend(&self) -> bool {
        matches!(self, Etims::Sandbox(_))
    }

    /// Sends one sale or credit note (`saveTrnsSalesOsdc`'s body, without the device's
    /// fields, which are added here). Unreachable or unreadable: the caller tries later.
    pub async fn save_sale(&self, invoice: &Value) -> Result<Answer, GatewayError> {
        match self {
            Etims::Sandbox(sandbox) => Ok(sandbox.save_sale(invoice)),
            Etims::Oscu(oscu) => read(oscu.post("saveTrnsSalesOsdc", invoice).await?),
        }
    }

    /// Registers a product, or its changes (`saveItem`'s body, less the device's fields).
    pub async fn save_item(&self, item: &Value) -> Result<ItemAnswer, GatewayError> {
        let reply = match self {
            Etims::Sandbox(_) => Sandbox::save_item(item),
            Etims::Oscu(oscu) => oscu.post("saveItem", item).await?,
        };
        Ok(match reply.code.as_str() {
            SUCCEEDED => ItemAnswer::Registered,
            _ => ItemAnswer::Refused {
                code: reply.code,
                message: reply.message,
            },
        })
    }

    /// KRA's item classes added or changed after `since` (`YYYYMMDDhhmmss`, KRA's clock).
    pub async fn item_classes(&self, since: &str) -> Result<ItemClasses, GatewayError> {
        let reply = match self {
            Etims::Sandbox(_) => Sandbox::item_classes(),
            Etims::Oscu(oscu) => {
                oscu.post(
                    "selectItemClsList",
                    &serde_json::json!({ "lastReqDt": since }),
                )
                .await?
            }
        };
        let answered_at = reply.answered_at.clone();
        let classes = match reply.code.as_str() {
            SUCCEEDED => reply
                .data
                .and_then(|mut d| d.get_mut("itemClsList").map(Value::take))
                .map(serde_json::from_value)
                .transpose()
                .map_err(|err| GatewayError::Malformed(err.to_string()))?
                .unwrap_or_default(),
            NOTHING_NEW => Vec::new(),
            _ => return Err(reply.refused()),
        };
        Ok(ItemClasses {
            classes,
            answered_at,
        })
    }
}

impl Reply {
    fn refused(&self) -> GatewayError {
        GatewayError::Refused(format!("KRA answered {}: {}", self.code, self.message))
    }
}

fn read(reply: Reply) -> Result<Answer, GatewayError> {
    match reply.code.as_str() {
        SUCCEEDED => {
            let data = reply
                .data
                .ok_or_else(|| GatewayError::Malformed("a success without its data".into()))?;
            serde_json::from_value(data)
                .map(Answer::Signed)
                .map_err(|err| GatewayError::Malformed(err.to_string()))
        }
        OVERLAPPED => Ok(Answer::AlreadyReceived(reply.message)),
        _ => Ok(Answer::Refused {
            code: reply.code,
            message: reply.message,
        }),
    }
}

/// Answers like OSCU without KRA: signs each invoice number once (a second time it answers
/// "overlapped", as KRA does), with made-up signatures that look like KRA's. Sales and
/// credit notes share the numbers; receipts are counted per kind.
#[derive(Debug, Default)]
pub struct Sandbox {
    signed: Mutex<HashMap<i64, String>>,
}

/// The sandbox's clock, as KRA writes times (Nairobi, `YYYYMMDDhhmmss`).
fn kra_clock() -> String {
    crate::domain::clock::shop_time(chrono::Utc::now())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

impl Sandbox {
    fn answer(code: &str, message: &str, data: Option<Value>) -> Reply {
        Reply {
            code: code.into(),
            message: message.into(),
            answered_at: kra_clock(),
            data,
        }
    }

    /// Registers an item with a class, as KRA does (the class is required).
    fn save_item(item: &Value) -> Reply {
        match item["itemClsCd"].as_str() {
            Some(class) if !class.is_empty() => Self::answer(SUCCEEDED, "It is succeeded", None),
            _ => Self::answer("910", "Request parameter error: itemClsCd", None),
        }
    }

    fn item_classes() -> Reply {
        let list: Vec<Value> = DEMO_ITEM_CLASSES
            .iter()
            .map(|(_, code, name)| {
                serde_json::json!({ "itemClsCd": code, "itemClsNm": name, "itemClsLvl": 5,
                                    "taxTyCd": null, "mjrTgYn": "N", "useYn": "Y" })
            })
            .collect();
        Self::answer(
            SUCCEEDED,
            "It is succeeded",
            Some(serde_json::json!({ "itemClsList": list })),
        )
    }

    fn save_sale(&self, invoice: &Value) -> Answer {
        let number = invoice["invcNo"].as_i64().unwrap_or_default();
        let kind = invoice["rcptTyCd"].as_str().unwrap_or("S").to_owned();
        let mut signed = self.signed.lock().unwrap_or_else(|e| e.into_inner());
        if signed.contains_key(&number) || number <= 0 {
            return Answer::AlreadyReceived("There is an overlapped Data".into());
        }
        let seed = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let signature = Signature {
            receipt_number: signed.values().filter(|k| **k == kind).count() as i64 + 1,
            total_receipts: signed.len() as i64 + 1,
            internal_data: seed[..26].to_owned(),
            signature: seed[16..32].to_owned(),
            scu_time: kra_clock(),
        };
        signed.insert(number, kind);
        Answer::Signed(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_sandbox_signs_a_number_once() {
        let sandbox = Sandbox::default();
        let invoice = json!({ "invcNo": 7, "rcptTyCd": "S" });
        let Answer::Signed(first) = sandbox.save_sale(&invoice) else {
            panic!("the first is signed");
        };
        assert_eq!(first.signature.len(), 16);
        assert_eq!(first.internal_data.len(), 26);
        assert!(matches!(
            sandbox.save_sale(&invoice),
            Answer::AlreadyReceived(_)
        ));
        // A credit note takes the next number; receipts are counted per kind.
        let Answer::Signed(note) = sandbox.save_sale(&json!({ "invcNo": 8, "rcptTyCd": "R" }))
        else {
            panic!("the credit note is signed");
        };
        assert_eq!((note.receipt_number, note.total_receipts), (1, 2));
    }

    #[test]
    fn receipt_numbers_are_read_as_numbers_or_strings() {
        let reply: Reply = serde_json::from_value(json!({
            "resultCd": "000", "resultMsg": "It is succeeded",
            "data": { "curRcptNo": "12", "totRcptNo": 40, "intrlData": "I", "rcptSign": "S",
                      "sdcDateTime": "20261130120000" }
        }))
        .unwrap();
        let Ok(Answer::Signed(s)) = read(reply) else {
            panic!("signed");
        };
        assert_eq!((s.receipt_number, s.total_receipts), (12, 40));
    }
}
