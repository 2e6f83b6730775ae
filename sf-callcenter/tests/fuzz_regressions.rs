//! Inputs the fuzz targets (`fuzz/`, README "Fuzzing") found breaking a property, kept as tests.

use sf_callcenter::CallCenter;

/// `callcenter`: finding each event's line scanned the text from its start, so parsing grew with
/// the square of the file's size (this 4 MB definition took minutes). Lines are now counted in
/// one pass; the test checks them on a large file (it takes seconds again if that comes back).
#[test]
fn a_large_definition_parses_in_linear_time() {
    let mut xml = String::from("<callCenter>\n<section sortOrder=\"0\" name=\"big\" label=\"\">\n");
    for i in 0..40_000 {
        xml.push_str(&format!(
            "<item sortOrder=\"{i}\" name=\"item{i}\" label=\"a label of some length\">a value of some length</item>\n"
        ));
    }
    xml.push_str("</section>\n</callCenter>\n");
    let cc = CallCenter::parse_xml(&xml).expect("well-formed");
    assert_eq!(cc.sections[0].items.len(), 40_000);
    assert_eq!(cc.sections[0].items[39_999].line, Some(40_002));
}
