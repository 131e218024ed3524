"""The NENA registry values this deployment maps to and from (NENA-STA-021.1b, section 3).

The registries are IANA's "EIDO-…" registries as the standard lists them. Only the mapping of
the deployment's own codes lives here; a type or unit kind not listed falls back as noted.
"""

from __future__ import annotations

EIDO_VERSION = "1.0"

# Incident types (the Saint Lucia demo's codes) → EIDO-IncidentType-Common (APCO ANS 2.103.2).
INCIDENT_TYPE_COMMON = {
    "FLOOD": "HAZ",
    "FLASHFLD": "WATER",
    "SURGE": "HAZ",
    "WINDDMG": "HAZ",
    "WIRES": "WIRES",
    "TREEDOWN": "HAZ",
    "LANDSLD": "HAZ",
    "ROADBLK": "THAZ",
    "BRIDGE": "BRGCLPSE",
    "STRFIRE": "FSTRU",
    "VEHFIRE": "FVEH",
    "HAZMAT": "HAZMAT",
    "TRAPPED": "BLDCLPSE",
    "MARINE": "WATER",
    "DROWN": "DROWN",
    "MEDICAL": "SICK",
    "CARDIAC": "CARDIAC",
    "TRAUMA": "TRAUMA",
    "MVA": "MVAINJY",
    "SHELTER": "CITASST",
    "WATER": "CITASST",
    "SUPPLIES": "CITASST",
    "EVAC": "CITASST",
    "WELFARE": "WELFARE",
    "MISSING": "SAR",
    "LOOTING": "DISORD",
    "RELOC": "ADMIN",
    "STANDBY": "STDBY",
    "AREAXFER": "ADMIN",
}
# An incident without a type, or of a type not listed: "Unknown Type Trouble".
INCIDENT_TYPE_UNKNOWN = "TROUBLE"

# Unit kinds → EIDO-EmergencyResourceType-Common.
RESOURCE_TYPE_COMMON = {
    "engine": "StructureFireEngineType1",
    "ladder": "FireTruckLadder",
    "rescue": "HeavyRescue",
    "ambulance": "GroundALSAmbulance",
    "police": "PatrolUnit",
    "public_works": "MaintenanceandRepairTeam",
    "boat": "WaterRescueTeam",
    "high_water": "SwiftwaterRescueTeam",
    "command": "CommandLevel3",
}
RESOURCE_TYPE_FALLBACK = "MobileSupportVehicle"

# EIDO-LocationType, the values this system writes and prefers when reading.
LOCATION_CURRENT = "CurrentIncident"
LOCATION_CALLER = "Caller"
# Reading an incident's location, the first of these types that maps wins.
INCIDENT_LOCATION_PREFERENCE = ("CurrentIncident", "InitialIncident", "Investigation", "Caller", "RoutingLocation")

# EIDO-AgencyRole and the Agent Roles of NENA-STA-010.
AGENCY_ROLES_DISPATCHING = ("Dispatching",)
AGENCY_ROLES_WITH_CALLS = ("CallReceiving", "Dispatching")
AGENCY_TYPE = "psap"
AGENT_ROLE_CALL_TAKING = "Call Taking"
AGENT_ROLE_DISPATCHING = "Dispatching"

# IANA Call States: the one a call ends in.
CALL_ENDED = "callEnd"
CALL_ANSWERED = "callAnswered"
PRIMARY_CALL_TYPE = "emergency"
