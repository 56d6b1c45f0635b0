// HL7 v2 places kept in arrays the map builds (docs/language.md, "HL7 v2 paths"): each location of the
// visit (PV1-3 assigned, PV1-6 prior, PV1-11 temporary, PV1-42 pending) and each HD of a location are
// treated alike by looping over an array of them; components and subcomponents of each item are read as
// they would be on the path itself.
map Locations : hl7v2 "ORU^R01" -> json {
  let pls = [PV1-3, PV1-6, PV1-11, PV1-42]
  count: count(pls)
  locations: for pl, i in pls => {
    position: i
    text: pl
    facility: Hd(pl.4)
    status: pl.5
    type: pl.6
    identifiers: for ei in [pl.10, pl.11] => "${ei.1}|${ei.2}"
  }
  assigned_hds: for hd in [PV1-3.4, PV1-3.10, PV1-3.11] => hd.1
  first_present: for pl in [PV1-42 ?? PV1-11] => pl.4.1
}

def Hd(hd) = { namespace: hd.1, id: hd.2, type: hd.3 }
