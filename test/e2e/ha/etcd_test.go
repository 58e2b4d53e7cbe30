/*
Copyright The workloads-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package ha

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEtcdMemberLoss kills (SIGKILL) the etcd leader under write load, brings
// it back, then kills a follower and brings it back: one member is down at a
// time, so the cluster keeps its quorum. No acknowledged write is lost and
// every replica's /readyz recovers without a restart of the replica.
func TestEtcdMemberLoss(t *testing.T) {
	e := sharedEnv(t)
	e.requireHealthy(t)
	ns := e.namespace(t, "etcd-loss")
	ctx := context.Background()

	began := time.Now()
	l := startLoad(e.client, ns, loadWriters, loadReaders)
	defer l.stop()
	l.waitWrites(t, began, 100)

	leader, err := e.c.WorkloadsEtcdLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lose := func(role string, member int) {
		t.Helper()
		killed := time.Now()
		if err := e.c.KillWorkloadsEtcdMember(member); err != nil {
			t.Fatal(err)
		}
		var newLeader int
		pollFor(t, "an etcd leader among the remaining members", pollTimeout, func(ctx context.Context) (bool, error) {
			i, err := e.c.WorkloadsEtcdLeader(ctx)
			newLeader = i
			return err == nil && i != member, nil
		})
		elected := time.Since(killed)
		// /readyz of the replicas while the member is down.
		readyWhileDown := 0
		for i := range e.c.WorkloadsAPIServerReplicaCount() {
			if code, _, err := e.replicaGet(context.Background(), i, "/readyz"); err == nil && code == http.StatusOK {
				readyWhileDown++
			}
		}
		// Writes go on with the remaining two members.
		l.waitWrites(t, killed, 1)
		writesResumed := time.Since(killed)
		l.waitWrites(t, time.Now(), 100)
		restarted := time.Now()
		if err := e.c.StartWorkloadsEtcdMember(member); err != nil {
			t.Fatalf("starting etcd member %d again: %v", member, err)
		}
		healthy := time.Since(restarted)
		e.waitReplicasReady(t, pollTimeout)
		result(t, "etcd-member-loss-step", "killed", role, "member", member, "leader_after", newLeader,
			"leader_known_after", elected, "replicas_ready_while_down", readyWhileDown, "writes_resumed_after", writesResumed, "member_down_for", restarted.Sub(killed), "member_healthy_after_start", healthy,
			"replicas_ready_after_start", time.Since(restarted))
	}

	lose("leader", leader)
	// A follower that has not been killed yet.
	follower := -1
	pollFor(t, "the etcd leader", pollTimeout, func(ctx context.Context) (bool, error) {
		i, err := e.c.WorkloadsEtcdLeader(ctx)
		if err != nil {
			return false, nil
		}
		for m := range e.c.WorkloadsEtcdMemberCount() {
			if m != i && m != leader {
				follower = m
			}
		}
		return follower >= 0, nil
	})
	lose("follower", follower)

	l.waitWrites(t, time.Now(), 100)
	l.stop()
	total, failed, window := l.rec.summary()
	acked, lost := l.lostWrites(t)
	result(t, "etcd-member-loss", "members", e.c.WorkloadsEtcdMemberCount(), "requests", total, "failed", len(failed),
		"error_window", window, "acked_writes", acked, "lost_writes", len(lost), "duration", time.Since(began))
	if len(failed) > 0 {
		t.Logf("failed requests:\n%s", describeFailures(failed))
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost: %v", len(lost), lost)
	}
	for i := range e.c.WorkloadsAPIServerReplicaCount() {
		if !e.c.WorkloadsAPIServerReplicaRunning(i) {
			t.Errorf("replica %d is not running after the etcd member loss", i)
		}
	}
	if exits := e.c.UnexpectedExits(); len(exits) > 0 {
		t.Errorf("components exited unexpectedly: %v", exits)
	}
}

// TestEtcdClusterTLS checks the etcd cluster the replicas use: three
// members, each serving clients and peers only over TLS and refusing a
// client without a certificate of the etcd CA.
func TestEtcdClusterTLS(t *testing.T) {
	e := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := e.c.WorkloadsEtcdClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	members, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(members.Members) != 3 {
		t.Errorf("the etcd cluster has %d members, want 3", len(members.Members))
	}
	for _, m := range members.Members {
		for _, u := range append(slices.Clone(m.PeerURLs), m.ClientURLs...) {
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("member %s advertises %s, want https://", m.Name, u)
			}
		}
	}

	withCert, err := e.c.WorkloadsEtcdTLS()
	if err != nil {
		t.Fatal(err)
	}
	noCert := withCert.Clone()
	noCert.Certificates, noCert.GetClientCertificate = nil, nil
	for i, url := range e.c.WorkloadsEtcdURLs {
		for _, tc := range []struct {
			name   string
			client *http.Client
			want   bool
		}{
			{"client certificate", &http.Client{Transport: &http.Transport{TLSClientConfig: withCert}}, true},
			{"no client certificate", &http.Client{Transport: &http.Transport{TLSClientConfig: noCert}}, false},
		} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tc.client.Do(req)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if resp != nil {
				resp.Body.Close()
			}
			if ok != tc.want {
				t.Errorf("member %d with %s: healthy=%t (err %v), want %t", i, tc.name, ok, err, tc.want)
			}
		}
		plain := strings.Replace(url, "https://", "http://", 1)
		if resp, err := http.Get(plain + "/health"); err == nil {
			ok := resp.StatusCode == http.StatusOK
			resp.Body.Close()
			if ok {
				t.Errorf("member %d answers plain HTTP on its client port", i)
			}
		}
	}
}
