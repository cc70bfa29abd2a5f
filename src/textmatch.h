/*
 * Case-insensitive substring matching for what operators type ("Скидка
 * 20%" must find "СКИДКА 20%" and "скидка 20%"): both sides are folded
 * with Unicode full case folding (libunistring), so Cyrillic, Latin and
 * the rest compare the way a reader would.
 */
#ifndef WARMD_TEXTMATCH_H
#define WARMD_TEXTMATCH_H

/* s case-folded (NFC), runs of white space (no-break space too) made one
 * space, leading ones dropped; never NULL (invalid UTF-8 falls back to
 * ASCII lower-casing). */
char	*text_fold(const char *s);
/* Whether hay contains needle_folded (a text_fold result); NULL hay: no. */
int	 text_contains(const char *hay, const char *needle_folded);

#endif
