// Sigle of the Italian provinces, metropolitan cities and equivalent bodies, by region, as ISTAT lists
// them since the 2016 Sardinian reform (SU replaced CI, VS, OG and OT): 107 in all.
const PROVINCES_BY_REGION: Readonly<Record<string, string>> = {
  Piemonte: 'AL AT BI CN NO TO VB VC',
  "Valle d'Aosta": 'AO',
  Lombardia: 'BG BS CO CR LC LO MB MI MN PV SO VA',
  'Trentino-Alto Adige': 'BZ TN',
  Veneto: 'BL PD RO TV VE VI VR',
  'Friuli-Venezia Giulia': 'GO PN TS UD',
  Liguria: 'GE IM SP SV',
  'Emilia-Romagna': 'BO FC FE MO PC PR RA RE RN',
  Toscana: 'AR FI GR LI LU MS PI PO PT SI',
  Umbria: 'PG TR',
  Marche: 'AN AP FM MC PU',
  Lazio: 'FR LT RI RM VT',
  Abruzzo: 'AQ CH PE TE',
  Molise: 'CB IS',
  Campania: 'AV BN CE NA SA',
  Puglia: 'BA BR BT FG LE TA',
  Basilicata: 'MT PZ',
  Calabria: 'CS CZ KR RC VV',
  Sicilia: 'AG CL CT EN ME PA RG SR TP',
  Sardegna: 'CA NU OR SS SU',
};

/** Sigle (two upper-case letters) of the 107 current Italian provinces and metropolitan cities. */
export const PROVINCE_CODES: ReadonlySet<string> = new Set(
  Object.values(PROVINCES_BY_REGION).flatMap((codes) => codes.split(' ')),
);

/** Whether `code` is the sigla of a current Italian province; expects upper case, as printed on documents. */
export function isProvinceCode(code: string): boolean {
  return PROVINCE_CODES.has(code);
}
