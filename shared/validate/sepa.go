package validate

// sepaCountries are the countries of the SEPA schemes' geographical scope
// (European Payments Council; 41 since Serbia joined in May 2025): the
// European Union, Iceland, Liechtenstein and Norway, then Switzerland, the
// United Kingdom, Monaco, San Marino, Andorra, Vatican City, Albania,
// Montenegro, Moldova, North Macedonia and Serbia; and Gibraltar, in the
// scope with the United Kingdom but with IBANs of its own. Territories that
// take their country's IBANs (the French overseas departments, the Åland
// Islands, the Crown Dependencies) need no entry.
var sepaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true,
	"MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
	"CH": true, "GB": true, "MC": true, "SM": true, "AD": true, "VA": true,
	"AL": true, "ME": true, "MD": true, "MK": true, "RS": true,
	"GI": true,
}

// SEPACountry reports a country (an IBAN's first two letters) whose
// accounts a SEPA credit transfer reaches.
func SEPACountry(cc string) bool { return sepaCountries[cc] }
