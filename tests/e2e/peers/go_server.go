// go_server: a net/http server that asks for client certificates, as Go services do, for
// test_client_peers_test.py. Standard library only, so it builds without a network.
//
//	go_server ADDRESS CERT KEY CA require|if-given
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 6 {
		log.Fatal("usage: go_server ADDRESS CERT KEY CA require|if-given")
	}
	address, certFile, keyFile, caFile, mode := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	authorities, err := os.ReadFile(caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(authorities) {
		log.Fatalf("%s: no certificate", caFile)
	}
	clientAuth := tls.RequireAndVerifyClientCert
	if mode == "if-given" {
		clientAuth = tls.VerifyClientCertIfGiven
	}
	server := &http.Server{
		Addr:      address,
		TLSConfig: &tls.Config{ClientAuth: clientAuth, ClientCAs: pool},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := "(no certificate)"
			if len(r.TLS.PeerCertificates) > 0 {
				name = r.TLS.PeerCertificates[0].Subject.String()
			}
			fmt.Fprintf(w, "hello %s\n", name)
		}),
	}
	log.Fatal(server.ListenAndServeTLS(certFile, keyFile))
}
