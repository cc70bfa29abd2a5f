#!/bin/sh
# Make a throwaway test CA and a server certificate for every host mailsim
# serves. Usage: gen-certs.sh OUTDIR  -> OUTDIR/{ca.crt,ca.key,server.crt,server.key}
set -eu
out=${1:?usage: gen-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mailsim test CA" \
	-keyout ca.key -out ca.crt \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=mail.ru" \
	-keyout server.key -out server.csr 2>/dev/null
cat > server.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:mail.ru,DNS:*.mail.ru,DNS:account.mail.ru,DNS:auth.mail.ru,DNS:e.mail.ru,DNS:aj-https.mail.ru,DNS:alt-aj-https.mail.ru,DNS:o2.mail.ru,DNS:portal.mail.ru,DNS:checklink.mail.ru,DNS:click.mail.ru,DNS:clicker.mail.ru,DNS:ip.mailsim.test,DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-days 3650 -sha256 -extfile server.ext -out server.crt 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 600 server.key ca.key
echo "$out/ca.crt $out/server.crt $out/server.key"
