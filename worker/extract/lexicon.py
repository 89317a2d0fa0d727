"""Word lists the figure extractor classifies with (lemmas, lower case)."""

import re

TROOP_NOUNS = {
    # police sent abroad as a security force count as its troops: "1,000 Kenyan police officers"
    "police officer", "officer", "policeman", "policemen", "gendarme", "instructor",
    "troop", "soldier", "personnel", "force", "marine", "sailor", "airman", "servicemember",
    "serviceman", "servicemen", "paratrooper", "peacekeeper", "reservist", "guardsman", "commando",
    "infantry", "service member", "military personnel", "boot", "fighter", "trooper", "airmen", "guardsmen",
    "militiamen", "seamen", "crewmen", "marines", "servicewomen", "servicewoman", "national guardsman",
    # what a country keeps somewhere, counted in troops: "cut its garrison from 2,000 to 900"
    "garrison", "contingent", "presence", "troop level", "force level", "battalion", "brigade",
}
TROOP_PHRASES = ("service member", "troop level", "force level", "military personnel", "service personnel", "troop")
PEOPLE_NOUNS = {
    "people", "person", "civilian", "resident", "refugee", "migrant", "protester", "child",
    "woman", "man", "worker", "employee", "voter", "patient", "student", "inhabitant", "citizen",
    "family", "individual", "prisoner", "hostage", "detainee", "victim", "passenger", "asylum seeker",
    "demonstrator", "evacuee", "adult", "member", "staff", "teacher", "doctor", "nurse", "farmer",
    "journalist", "reporter", "official", "diplomat", "lawmaker", "politician", "tourist", "pilgrim",
    "survivor", "youth", "girl", "boy", "baby", "infant", "pensioner", "voter", "resident", "settler",
    "immigrant", "displaced", "hostage", "captive", "crew", "volunteer", "miner", "fan",
}
KILLED_WORDS = {"kill", "die", "dead", "death", "fatality", "slay", "perish", "execute", "murder", "massacre", "body",
                "corpse"}
INJURED_WORDS = {"injure", "injured", "wound", "wounded", "hurt", "injury", "maim"}
# Currencies by name: what an amount counts ("500 million zlotys", "1.5 trillion won").
CURRENCY_WORDS = {"dollar", "euro", "pound", "yen", "yuan", "renminbi", "rupee", "rouble", "ruble", "franc", "zloty",
                  "won", "shilling", "naira", "rand", "dirham", "riyal", "lira", "hryvnia", "peso", "real", "reais",
                  "krona", "krone", "kronor", "kroner", "baht", "ringgit", "rupiah", "taka", "birr", "cedi", "kwacha",
                  "dinar", "sterling"}
# A sign before an amount and the currency it writes, longest first ("US$" before "$").
CURRENCY_SIGNS: dict[str, str] = {
    "us$": "dollars", "nz$": "dollars", "hk$": "dollars", "a$": "dollars", "c$": "dollars", "s$": "dollars",
    "r$": "reais", "ksh": "shillings", "sh": "shillings", "$": "dollars", "€": "euros", "£": "pounds", "¥": "yen",
    "₩": "won", "₹": "rupees", "₦": "naira",
}
MONEY_WORDS = CURRENCY_WORDS | {"cent", "$", "£", "€", "¥"}
PERCENT_WORDS = {"%", "percent", "per cent", "percentage point", "pct"}
CHANGE_VERBS = {
    "cut", "reduce", "lower", "decrease", "drop", "fall", "shrink", "halve", "slash", "trim",
    "increase", "raise", "boost", "rise", "grow", "double", "triple", "expand", "bring", "draw",
    "scale", "pare", "climb", "jump", "swell", "decline", "halve", "bolster", "reinforce", "expand",
    "shrink", "slash", "draw down", "scale back", "wind down",
}
MOVE_VERBS = {
    "withdraw", "send", "deploy", "add", "pull", "pull out", "remove", "dispatch", "redeploy", "bring",
    "move", "relocate", "transfer", "evacuate", "mobilise", "mobilize", "call up", "recall", "ship",
    "leave", "depart", "return", "arrive", "station", "base", "post",
}
# Subjects of these move themselves: "12,000 troops will leave".
LEAVE_VERBS = {"withdraw", "leave", "depart", "return", "arrive", "pull out"}
# Where troops are kept: a change only when they are sent somewhere ("deployed to Poland"),
# a level when they are somewhere ("stationed in Korea").
POSTING_VERBS = {"deploy", "station", "base", "post"}
# How people travel: with a destination, the travellers are a change there ("flew to Poland").
TRAVEL_VERBS = {"fly", "sail", "travel", "head", "drive", "march", "ship"}
# "the deployment of 300 airmen"
MOVE_NOUNS = {"deployment", "withdrawal", "dispatch", "redeployment", "pullout", "arrival", "departure", "reinforcement", "mobilisation", "mobilization"}
# Verbs that report or embed the clause with the figure: look through them.
EMBEDDING_VERBS = {"believe", "think", "fear", "expect", "estimate", "report", "say", "seem", "appear", "want",
                   "plan", "intend", "agree", "decide", "promise", "vow", "threaten", "try", "hope", "confirm"}
REPORTING_VERBS = {"say", "tell", "announce", "state", "report", "add", "speak", "confirm", "claim", "write",
                   "note", "brief", "declare", "quote", "sign"}
# The subject of these lost the people counted: "Russia has suffered 40,000 dead".
LOSS_VERBS = {"suffer", "lose", "sustain", "incur", "mourn"}
# "an offensive to retake Mosul": the place acted on is where it happens.
TARGET_VERBS = {"retake", "recapture", "capture", "seize", "attack", "storm", "besiege", "liberate", "defend",
                "enter", "invade", "shell", "bomb", "strike", "raid", "occupy", "leave", "quit", "exit", "reach", "patrol",
                "hit", "target", "pound", "overrun", "encircle", "surround"}
# "the strike on Kharkiv", "an attack on Kyiv": "on" names the place for these.
ATTACK_NOUNS = {"strike", "attack", "assault", "raid", "bombardment", "offensive", "airstrike", "shelling", "barrage", "ambush"}
# "in the country", "across the territory": back to the place named before.
PLACE_ANAPHORS = {"country", "territory", "island", "nation", "enclave", "peninsula", "region", "city", "town",
                  "village", "capital", "province", "area", "port"}
# "Qatar hosts 10,000 US troops": the subject is where they are.
HOST_VERBS = {"host", "house"}
# "outside Kabul airport": a place named by what is in it.
SITE_NOUNS = {"airport", "base", "city", "province", "region", "border", "coast", "camp", "port", "airbase",
              "embassy", "capital", "district", "area", "village", "town", "department", "state", "county",
              "governorate", "oblast", "island", "enclave", "strip", "territory", "municipality"}
DIRECTIONS = {"north", "south", "east", "west", "north-east", "north-west", "south-east", "south-west",
              "northeast", "northwest", "southeast", "southwest", "outskirts", "centre", "center"}

APPROX = ("an estimated", "approximately", "estimated", "roughly", "around", "about", "some", "circa", "~")
AT_LEAST = ("more than", "at least", "upwards of", "in excess of", "greater than", "over", "above", "no fewer than", "no less than")
AT_MOST = ("almost", "nearly", "up to", "fewer than", "less than", "under", "below", "no more than", "just under", "as many as")

# Nouns for members of armed forces: forces are abroad far more often than at home, and
# "34 other troops" in a sentence about "three U.S. soldiers" are American too.
MILITARY = re.compile(r"\b(?:soldiers?|troops?|service ?(?:members?|men|women)|marines?|personnel|sailors?|airmen|"
                      r"servicemen|peacekeepers?|forces?|reservists?)\b", re.I)

# Heads that place what stands "at" a name: "the garrison at al-Tanf", "killed at Tapa", "the
# bases at Gossi" (not "met him at Google").
AT_HEADS = SITE_NOUNS | TARGET_VERBS | {
    "garrison", "battlegroup", "troop", "soldier", "force", "personnel", "marine", "stationed", "kill", "die",
    "wound", "injure", "attack", "strike", "land", "crash", "remain", "stay", "house", "ambush", "bombing", "blast",
    "explosion", "shooting", "fighting", "clash", "fight", "outpost", "facility", "headquarters"}
# Heads that make "from" a name where forces move from: "pull out from Gao" (not "a call from Biden").
MOVING_FROM = MOVE_VERBS | {"fly", "flee", "drive", "expel", "oust", "troop", "soldier", "force", "withdrawal", "exit"}
