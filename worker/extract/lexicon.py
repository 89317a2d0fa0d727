"""Word lists the figure extractor classifies with (lemmas, lower case)."""

TROOP_NOUNS = {
    "troop", "soldier", "personnel", "force", "marine", "sailor", "airman", "servicemember",
    "serviceman", "servicemen", "paratrooper", "peacekeeper", "reservist", "guardsman", "commando",
    "infantry", "service member", "military personnel", "boot", "fighter", "trooper",
}
PEOPLE_NOUNS = {
    "people", "person", "civilian", "resident", "refugee", "migrant", "protester", "child",
    "woman", "man", "worker", "employee", "voter", "patient", "student", "inhabitant", "citizen",
    "family", "individual", "prisoner", "hostage", "detainee", "victim", "passenger", "asylum seeker",
    "demonstrator", "evacuee", "adult", "member", "staff", "teacher", "doctor", "nurse", "farmer",
}
KILLED_WORDS = {"kill", "die", "dead", "death", "fatality", "slay", "perish", "execute", "murder", "massacre"}
INJURED_WORDS = {"injure", "injured", "wound", "wounded", "hurt", "injury", "maim"}
MONEY_WORDS = {"dollar", "euro", "pound", "yen", "yuan", "rupee", "rouble", "ruble", "franc", "cent", "$", "£", "€", "¥"}
PERCENT_WORDS = {"%", "percent", "per cent", "percentage point", "pct"}
CHANGE_VERBS = {
    "cut", "reduce", "lower", "decrease", "drop", "fall", "shrink", "halve", "slash", "trim",
    "increase", "raise", "boost", "rise", "grow", "double", "triple", "expand", "bring", "draw",
    "scale", "pare", "climb", "jump", "swell", "decline",
}
MOVE_VERBS = {"withdraw", "send", "deploy", "add", "pull", "remove", "dispatch", "redeploy", "station", "bring"}

APPROX = ("an estimated", "approximately", "estimated", "roughly", "around", "about", "some", "circa", "~")
AT_LEAST = ("more than", "at least", "upwards of", "in excess of", "greater than", "over", "above", "no fewer than", "no less than")
AT_MOST = ("almost", "nearly", "up to", "fewer than", "less than", "under", "below", "no more than", "just under", "as many as")
