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

package controllerutil

import "sync"

// SlowStartInitialBatchSize is the first batch of SlowStartBatch, as upstream.
const SlowStartInitialBatchSize = 1

// BurstReplicas caps how many pods one sync of a controller creates or
// deletes, as upstream's BurstReplicas.
const BurstReplicas = 500

// SlowStartBatch calls fn count times, in batches of initialBatchSize,
// then twice that, and so on, running each batch in parallel. It stops after
// the first batch with an error, so a systematic failure (quota, admission)
// costs a few calls instead of count. It returns how many calls succeeded
// and the first error of the failing batch.
func SlowStartBatch(count, initialBatchSize int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batch := min(remaining, initialBatchSize); batch > 0; batch = min(2*batch, remaining) {
		errCh := make(chan error, batch)
		var wg sync.WaitGroup
		for range batch {
			wg.Go(func() {
				if err := fn(); err != nil {
					errCh <- err
				}
			})
		}
		wg.Wait()
		close(errCh)
		failed := len(errCh)
		successes += batch - failed
		if failed > 0 {
			return successes, <-errCh
		}
		remaining -= batch
	}
	return successes, nil
}
