//! The service description: the real 2017 WSDL with `Login` added in every binding, since
//! every current client calls it though that install's WSDL predates it.

/// The WSDL of a 2017 install, as published (99 operations).
pub const WSDL_2017: &str = include_str!("../wsdl/neoapi-2017.wsdl");

/// Where the 2017 file says the service lives; replaced by the simulator's own URL.
const ORIGINAL_LOCATION: &str = "http://wsneo.colonseguros.com.ar/neoapi/webservice.asmx";

/// The simulator's WSDL: the 2017 one plus `Login (DEVICE, USUARIO, CLAVE)`, void, with the
/// service address pointing at `location`.
pub fn wsdl(location: &str) -> String {
    with_login(WSDL_2017).replace(ORIGINAL_LOCATION, location)
}

/// Adds `Login` next to every block that declares `Logout` (schema elements, messages,
/// port type and binding operations), with its three parameters.
fn with_login(wsdl: &str) -> String {
    let lines: Vec<&str> = wsdl.lines().collect();
    let starts = [
        "<s:element name=\"Logout\">",
        "<s:element name=\"LogoutResponse\">",
        "<wsdl:message name=\"LogoutSoapIn\">",
        "<wsdl:message name=\"LogoutSoapOut\">",
        "<wsdl:message name=\"LogoutHttpGetIn\">",
        "<wsdl:message name=\"LogoutHttpGetOut\"/>",
        "<wsdl:message name=\"LogoutHttpPostIn\">",
        "<wsdl:message name=\"LogoutHttpPostOut\"/>",
        "<wsdl:operation name=\"Logout\">",
    ];
    let mut out = Vec::with_capacity(lines.len() + 120);
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if starts.contains(&trimmed) {
            let end = block_end(&lines, i);
            for line in &lines[i..=end] {
                out.extend(login_lines(line));
            }
        }
        out.push(lines[i].to_owned());
        i += 1;
    }
    out.join("\n")
}

/// The last line of the element opened on `start` (itself when self-closing).
fn block_end(lines: &[&str], start: usize) -> usize {
    let line = lines[start];
    if line.trim_end().ends_with("/>") {
        return start;
    }
    let indent = line.len() - line.trim_start().len();
    let tag = line.trim_start()[1..]
        .split([' ', '>'])
        .next()
        .unwrap_or_default();
    let close = format!("</{tag}>");
    (start + 1..lines.len())
        .find(|&j| {
            lines[j].trim() == close && lines[j].len() - lines[j].trim_start().len() == indent
        })
        .unwrap_or(start)
}

/// One line of a `Logout` block, rewritten for `Login`.
fn login_lines(line: &str) -> Vec<String> {
    let line = line.replace("Logout", "Login");
    let indent = &line[..line.len() - line.trim_start().len()];
    let trimmed = line.trim();
    if trimmed == "<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"USUARIO\" type=\"s:string\"/>"
    {
        ["DEVICE", "USUARIO", "CLAVE"]
            .iter()
            .map(|p| format!("{indent}<s:element minOccurs=\"0\" maxOccurs=\"1\" name=\"{p}\" type=\"s:string\"/>"))
            .collect()
    } else if trimmed == "<wsdl:part name=\"USUARIO\" type=\"s:string\"/>" {
        ["DEVICE", "USUARIO", "CLAVE"]
            .iter()
            .map(|p| format!("{indent}<wsdl:part name=\"{p}\" type=\"s:string\"/>"))
            .collect()
    } else {
        vec![line]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_is_added_in_every_binding_and_nothing_is_lost() {
        let w = wsdl("http://127.0.0.1:1/neoapi/webservice.asmx");
        assert_eq!(
            w.matches("<wsdl:operation name=\"Login\">").count(),
            7,
            "3 port types + 4 bindings"
        );
        assert!(w.contains("soapAction=\"http://tempuri.org/Login\""));
        assert!(w.contains("<http:operation location=\"/Login\"/>"));
        assert!(w.contains("<wsdl:message name=\"LoginHttpPostIn\">"));
        assert!(w.contains("name=\"CLAVE\" type=\"s:string\"/>"));
        assert!(
            w.contains("<soap:address location=\"http://127.0.0.1:1/neoapi/webservice.asmx\"/>")
        );
        // every operation of the fixture is still there (a superset)
        for op in WSDL_2017
            .match_indices("<wsdl:operation name=\"")
            .map(|(i, _)| &WSDL_2017[i..i + 60])
        {
            let name = op.split('"').nth(1).unwrap();
            assert!(
                w.contains(&format!("<wsdl:operation name=\"{name}\">")),
                "{name}"
            );
        }
        // it is still well-formed XML
        let mut reader = quick_xml::Reader::from_str(&w);
        while reader.read_event().expect("well-formed") != quick_xml::events::Event::Eof {}
    }

    #[test]
    fn the_shipped_copy_is_the_fixture() {
        let fixture = include_str!("../../../shared/fixtures/neoapi-2017.wsdl");
        assert_eq!(WSDL_2017, fixture);
    }
}
