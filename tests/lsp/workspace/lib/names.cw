// Datatype functions shared by the feeds (a module: no map).

// XPN -> HumanName, family and given names only.
def PersonName(xpn) = { family: xpn.1, given: [xpn.2] }

const HOME_SYSTEM = "urn:id:home"

def Mrn(cx) = { system: HOME_SYSTEM, value: cx.1 }
