//! The Swagger Petstore 3's XML documents (`application/xml` bodies and answers): the
//! generated code hands the handlers the text, and this module reads and writes the
//! spec's `xml` shapes: `<pet>` with wrapped `<photoUrls><photoUrl>` and
//! `<tags><tag>`, `<order>` and `<user>`, one element per property.

use quick_xml::{Reader, escape::escape, events::Event};
use serde::de::DeserializeOwned;

use crate::generated::petstore3::{Category, Order, Pet, Tag, User};

/// An element: its name, its text, and its child elements.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }
}

/// The document's root element.
fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut open: Vec<Element> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the XML is malformed: {e}"))?;
        match event {
            Event::Start(start) => open.push(Element {
                name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(empty) => {
                let element = Element {
                    name: String::from_utf8_lossy(empty.name().as_ref()).into_owned(),
                    ..Element::default()
                };
                match open.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                let text = text
                    .unescape()
                    .map_err(|e| format!("the XML is malformed: {e}"))?;
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::End(_) => {
                let element = open.pop().ok_or("the XML is malformed")?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Eof => return Err("the XML document ends early".to_string()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

/// The root element, which must be named `name`.
fn root(text: &str, name: &str) -> Result<Element, String> {
    let root = parse(text)?;
    if root.name == name {
        Ok(root)
    } else {
        Err(format!(
            "the document is a `<{}>`, not a `<{name}>`",
            root.name
        ))
    }
}

/// The text of the child `field` read as JSON would read it, or `None` without the child;
/// an error names the field.
fn field<T: DeserializeOwned>(parent: &Element, field: &str) -> Result<Option<T>, String> {
    let Some(child) = parent.child(field) else {
        return Ok(None);
    };
    // The text as a JSON string, then as a JSON value (numbers, booleans), whichever
    // `T` takes.
    let text = serde_json::Value::String(child.text.clone());
    serde_json::from_value(text)
        .or_else(|_| serde_json::from_str(&child.text))
        .map(Some)
        .map_err(|_| format!("`{field}` is not valid: `{}`", child.text))
}

fn required<T>(value: Option<T>, name: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("`{name}` is required"))
}

fn category(element: &Element) -> Result<Category, String> {
    Ok(Category {
        id: field(element, "id")?,
        name: field(element, "name")?,
    })
}

fn tag(element: &Element) -> Result<Tag, String> {
    Ok(Tag {
        id: field(element, "id")?,
        name: field(element, "name")?,
    })
}

/// A `<pet>` document; an error names the offending field.
pub fn read_pet(text: &str) -> Result<Pet, String> {
    let pet = root(text, "pet")?;
    let photo_urls = required(pet.child("photoUrls"), "photoUrls")?
        .children
        .iter()
        .map(|url| url.text.clone())
        .collect();
    Ok(Pet {
        id: field(&pet, "id")?,
        name: required(field(&pet, "name")?, "name")?,
        category: pet.child("category").map(category).transpose()?,
        photo_urls,
        tags: pet
            .child("tags")
            .map(|tags| tags.children.iter().map(tag).collect::<Result<_, _>>())
            .transpose()?,
        status: field(&pet, "status")?,
    })
}

/// An `<order>` document.
pub fn read_order(text: &str) -> Result<Order, String> {
    let order = root(text, "order")?;
    Ok(Order {
        id: field(&order, "id")?,
        pet_id: field(&order, "petId")?,
        quantity: field(&order, "quantity")?,
        ship_date: field(&order, "shipDate")?,
        status: field(&order, "status")?,
        complete: field(&order, "complete")?,
    })
}

/// A `<user>` document.
pub fn read_user(text: &str) -> Result<User, String> {
    let user = root(text, "user")?;
    Ok(User {
        id: field(&user, "id")?,
        username: field(&user, "username")?,
        first_name: field(&user, "firstName")?,
        last_name: field(&user, "lastName")?,
        email: field(&user, "email")?,
        password: field(&user, "password")?,
        phone: field(&user, "phone")?,
        user_status: field(&user, "userStatus")?,
    })
}

/// Writes `<name>value</name>` for a present value, in its JSON text (enums by their
/// wire name).
fn push<T: serde::Serialize>(xml: &mut String, name: &str, value: Option<&T>) {
    let Some(value) = value else { return };
    let text = match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => return,
    };
    xml.push_str(&format!("<{name}>{}</{name}>", escape(text.as_str())));
}

/// `pet` as a `<pet>` document.
pub fn write_pet(pet: &Pet) -> String {
    let mut xml = String::from("<pet>");
    push(&mut xml, "id", pet.id.as_ref());
    push(&mut xml, "name", Some(&pet.name));
    if let Some(category) = &pet.category {
        xml.push_str("<category>");
        push(&mut xml, "id", category.id.as_ref());
        push(&mut xml, "name", category.name.as_ref());
        xml.push_str("</category>");
    }
    xml.push_str("<photoUrls>");
    for url in &pet.photo_urls {
        push(&mut xml, "photoUrl", Some(url));
    }
    xml.push_str("</photoUrls>");
    if let Some(tags) = &pet.tags {
        xml.push_str("<tags>");
        for tag in tags {
            xml.push_str("<tag>");
            push(&mut xml, "id", tag.id.as_ref());
            push(&mut xml, "name", tag.name.as_ref());
            xml.push_str("</tag>");
        }
        xml.push_str("</tags>");
    }
    push(&mut xml, "status", pet.status.as_ref());
    xml.push_str("</pet>");
    xml
}

/// `order` as an `<order>` document.
pub fn write_order(order: &Order) -> String {
    let mut xml = String::from("<order>");
    push(&mut xml, "id", order.id.as_ref());
    push(&mut xml, "petId", order.pet_id.as_ref());
    push(&mut xml, "quantity", order.quantity.as_ref());
    push(&mut xml, "shipDate", order.ship_date.as_ref());
    push(&mut xml, "status", order.status.as_ref());
    push(&mut xml, "complete", order.complete.as_ref());
    xml.push_str("</order>");
    xml
}

/// `user` as a `<user>` document.
pub fn write_user(user: &User) -> String {
    let mut xml = String::from("<user>");
    push(&mut xml, "id", user.id.as_ref());
    push(&mut xml, "username", user.username.as_ref());
    push(&mut xml, "firstName", user.first_name.as_ref());
    push(&mut xml, "lastName", user.last_name.as_ref());
    push(&mut xml, "email", user.email.as_ref());
    push(&mut xml, "password", user.password.as_ref());
    push(&mut xml, "phone", user.phone.as_ref());
    push(&mut xml, "userStatus", user.user_status.as_ref());
    xml.push_str("</user>");
    xml
}

/// `text` as a `<string>` document (an XML answer whose schema is a plain string).
pub fn write_string(text: &str) -> String {
    let mut xml = String::new();
    push(&mut xml, "string", Some(&text));
    xml
}
