"""Small pools the synthetic population is drawn from. Names are common in the United States; places are real
cities with their state and a ZIP code; telephone numbers use the 555-01xx range reserved for fiction; e-mail
addresses are at example.com (reserved for documentation)."""

from __future__ import annotations

GIVEN_F = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Lisa",
    "Nancy", "Betty", "Sandra", "Ashley", "Emily", "Michelle", "Amanda", "Melissa", "Stephanie", "Rebecca", "Laura",
    "Maria", "Ana", "Sofia", "Isabella", "Camila", "Valentina", "Mei", "Priya", "Aisha", "Fatima", "Yuki", "Hana",
    "Olivia", "Emma", "Ava", "Mia", "Chloe", "Grace", "Nia", "Zoe",
)  # fmt: skip
GIVEN_M = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin", "Brian",
    "Jose", "Luis", "Carlos", "Juan", "Miguel", "Diego", "Wei", "Jun", "Raj", "Arjun", "Omar", "Ahmed", "Kenji",
    "Liam", "Noah", "Ethan", "Lucas", "Mateo", "Elijah", "Malik", "Samuel",
)  # fmt: skip
MIDDLE = ("Ann", "Marie", "Lee", "Lynn", "Rose", "James", "Michael", "Alan", "Ray", "Jean", "Grace", "Edward")
SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kim", "Patel", "Chen", "Wang", "Singh", "Khan",
    "Cohen", "Murphy", "O'Brien", "Okafor", "Kowalski", "Rossi", "Schmidt", "Tanaka", "Park", "Ali",
)  # fmt: skip
# city, state, ZIP code, telephone area code
CITIES = (
    ("New York", "NY", "10001", "212"), ("Brooklyn", "NY", "11201", "718"), ("Los Angeles", "CA", "90012", "213"),
    ("San Diego", "CA", "92101", "619"), ("San Francisco", "CA", "94103", "415"), ("San Jose", "CA", "95113", "408"),
    ("Chicago", "IL", "60601", "312"), ("Houston", "TX", "77002", "713"), ("Dallas", "TX", "75201", "214"),
    ("Austin", "TX", "78701", "512"), ("San Antonio", "TX", "78205", "210"), ("El Paso", "TX", "79901", "915"),
    ("Phoenix", "AZ", "85004", "602"), ("Tucson", "AZ", "85701", "520"), ("Philadelphia", "PA", "19107", "215"),
    ("Pittsburgh", "PA", "15222", "412"), ("Jacksonville", "FL", "32202", "904"), ("Miami", "FL", "33130", "305"),
    ("Orlando", "FL", "32801", "407"), ("Tampa", "FL", "33602", "813"), ("Columbus", "OH", "43215", "614"),
    ("Cleveland", "OH", "44114", "216"), ("Indianapolis", "IN", "46204", "317"), ("Charlotte", "NC", "28202", "704"),
    ("Raleigh", "NC", "27601", "919"), ("Seattle", "WA", "98101", "206"), ("Spokane", "WA", "99201", "509"),
    ("Denver", "CO", "80202", "303"), ("Boston", "MA", "02108", "617"), ("Detroit", "MI", "48226", "313"),
    ("Nashville", "TN", "37203", "615"), ("Memphis", "TN", "38103", "901"), ("Portland", "OR", "97204", "503"),
    ("Las Vegas", "NV", "89101", "702"), ("Baltimore", "MD", "21202", "410"), ("Milwaukee", "WI", "53202", "414"),
    ("Albuquerque", "NM", "87102", "505"), ("Atlanta", "GA", "30303", "404"), ("Minneapolis", "MN", "55401", "612"),
    ("New Orleans", "LA", "70112", "504"), ("Honolulu", "HI", "96813", "808"), ("Anchorage", "AK", "99501", "907"),
    ("Salt Lake City", "UT", "84111", "801"), ("Kansas City", "MO", "64106", "816"), ("Omaha", "NE", "68102", "402"),
    ("Buffalo", "NY", "14202", "716"), ("Newark", "NJ", "07102", "973"), ("Arlington", "VA", "22201", "703"),
    ("Washington", "DC", "20001", "202"), ("San Juan", "PR", "00901", "787"),
)  # fmt: skip
STREETS = (
    "Main St", "Oak Ave", "Maple St", "Cedar Ln", "Pine St", "Elm St", "Washington Ave", "Lake Dr", "Hill Rd",
    "Park Ave", "Sunset Blvd", "River Rd", "Church St", "Highland Ave", "Jefferson St", "Lincoln Way",
)  # fmt: skip
EMPLOYERS = (
    "Acme Logistics", "Riverside Health", "Summit Bank", "Bluebird Software", "Harbor Foods", "City Schools",
    "Northwind Traders", "Globex Engineering", "Pioneer Airlines", "Lakeside Hospital", "Metro Transit",
    "Granite Construction Co", "Evergreen Consulting", "State University", "Sterling Law Group", "Self",
)  # fmt: skip
OCCUPATIONS = (
    "Engineer", "Nurse", "Teacher", "Accountant", "Sales manager", "Software developer", "Pilot", "Attorney",
    "Physician", "Consultant", "Electrician", "Project manager", "Analyst", "Pharmacist", "Chef", "Designer",
)  # fmt: skip
EYES = ("Brown", "Blue", "Green", "Hazel", "Gray")
HAIR = ("Black", "Brown", "Blond", "Red", "Gray", "White", "Bald")
# Where lawful permanent residents hold citizenship, and the partner countries' citizens who apply for Global Entry
# (all on the seeded partner list).
LPR_CITIZENSHIPS = ("MX", "IN", "CN", "PH", "CU", "DO", "VN", "SV", "KR", "CO", "GB", "DE")
PARTNER_CITIZENSHIPS = ("GB", "DE", "MX", "IN", "KR", "CH", "CO", "NL", "SG", "TW", "AR", "BR")
SECOND_CITIZENSHIPS = ("IE", "IT", "IL", "GB", "MX", "CA", "DE", "PL")
COUNTRIES_VISITED = ("MX", "CA", "GB", "FR", "IT", "ES", "DE", "JP", "DO", "BS", "JM", "CR", "IN", "CN", "KR")
# Offenses that keep PreCheck open (old enough, or not on the TSA list); any offense closes Global Entry.
OFFENSES = (("dui", 9, "Driving under the influence; fine paid"), ("other_misdemeanor", 12, "Shoplifting"))
