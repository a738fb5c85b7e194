;;; e2e.el --- Rationale in Emacs with eglot, end to end  -*- lexical-binding: t; -*-

;; Run by run.sh in `emacs --batch': a real Emacs with the eglot its distribution ships, the real
;; `rationale lsp', and the journal on disk. Emacs has no Rationale plugin, so this is the path of
;; every plain LSP client: a why-comment, and `rationale.explain' inserting one.
;;
;; Environment: RATIONALE_E2E_SERVER (the binary), RATIONALE_E2E_WORKSPACE (an empty git work tree).
;; Prints `ok - ...' or `not ok - ...' per check and `N passed, N failed' last.

(require 'eglot)
(require 'python)
(require 'json)
(require 'subr-x)

(defvar e2e-server (getenv "RATIONALE_E2E_SERVER"))
(defvar e2e-workspace (file-name-as-directory (getenv "RATIONALE_E2E_WORKSPACE")))
(defvar e2e-passed 0)
(defvar e2e-failed 0)

;; The server's edits are applied without a question (batch Emacs cannot answer one), and the
;; changes are sent at once rather than on an idle timer.
(setq eglot-confirm-server-initiated-edits nil
      eglot-send-changes-idle-time 0.05
      eglot-sync-connect 10
      python-indent-guess-indent-offset nil)
(add-to-list 'eglot-server-programs `(python-mode . (,e2e-server "lsp")))

(defun e2e-check (name ok &optional detail)
  (if ok
      (progn (setq e2e-passed (1+ e2e-passed)) (princ (format "ok - %s\n" name)))
    (setq e2e-failed (1+ e2e-failed))
    (princ (format "not ok - %s\n" name))
    (when detail (princ (format "    %s\n" (replace-regexp-in-string "\n" "\n    " (format "%s" detail)))))))

(defun e2e-wait (what predicate &optional seconds)
  "Lets Emacs run (process output, timers) until PREDICATE holds; nil after SECONDS."
  (let ((deadline (+ (float-time) (or seconds 20))))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (or (funcall predicate)
        (progn (princ (format "# gave up waiting for %s\n" what)) nil))))

(defun e2e-send-changes ()
  "Sends the buffer's changes now, as eglot's idle timer would (batch Emacs is never idle)."
  (eglot--signal-textDocument/didChange)
  (accept-process-output nil 0.2))

(defun e2e-journal ()
  "The records of the workspace's one journal, as alists."
  (let ((files (directory-files (expand-file-name ".rationale/sessions" e2e-workspace) t "\\.jsonl\\'")))
    (when files
      (with-temp-buffer
        (insert-file-contents (car files))
        (let (records)
          (dolist (line (split-string (buffer-string) "\n" t))
            (ignore-errors (push (json-parse-string line :object-type 'alist :null-object nil) records)))
          (nreverse records))))))

(defun e2e-rationales ()
  (seq-filter (lambda (r) (equal (alist-get 'type r) "rationale")) (e2e-journal)))

(defun e2e-replace (from to)
  (goto-char (point-min))
  (search-forward from)
  (replace-match to t t))

(defun e2e-run ()
  (let* ((file (expand-file-name "app.py" e2e-workspace))
         (server nil))
    (with-temp-file file
      (insert "class Session:\n    def request(self, url):\n        return self.send(url)\n\n"
              "    def send(self, url):\n        return url\n\n\ndef helper():\n    return 1\n"))
    (find-file file)
    (call-interactively #'eglot)
    (e2e-check "eglot starts `rationale lsp' for the Python buffer"
               (e2e-wait "the server" (lambda () (setq server (eglot-current-server)))))
    (unless server
      (error "no server"))

    ;; 1. Change a function, explain it in a why-comment above it, save.
    (e2e-replace "return 1" "return 42")
    (goto-char (point-min))
    (search-forward "def helper")
    (beginning-of-line)
    (insert "# why: callers need the real answer, not a placeholder\n")
    (save-buffer)
    (e2e-check "the server removes the recorded why-comment from the buffer (workspace/applyEdit)"
               (e2e-wait "the comment to go" (lambda () (not (string-match-p "why:" (buffer-string)))))
               (buffer-string))
    (e2e-check "the buffer keeps the change itself"
               (string-match-p "def helper():\n    return 42\n" (buffer-string)) (buffer-string))
    (let* ((records (e2e-rationales))
           (record (car records)))
      (e2e-check "the journal holds one rationale" (= (length records) 1) (e2e-journal))
      (e2e-check "recorded via why-comment, with the comment's text"
                 (and (equal (alist-get 'via record) "why-comment")
                      (equal (alist-get 'text record) "callers need the real answer, not a placeholder"))
                 record)
      (e2e-check "the pair is the function before and after, without the comment"
                 (and (equal (alist-get 'name (alist-get 'unit record)) "helper")
                      (equal (alist-get 'before record) "def helper():\n    return 1")
                      (equal (alist-get 'after record) "def helper():\n    return 42"))
                 record))
    ;; The removal reached the server (eglot's didChange): nothing is left to explain.
    (e2e-send-changes)
    (let ((pending (jsonrpc-request server :rationale/pendingChanges
                                    `(:uri ,(eglot--path-to-uri file)))))
      (e2e-check "nothing is pending after the removal"
                 (= (length (plist-get pending :changes)) 0) pending))

    ;; 2. `rationale.explain' from a code action: eglot has no Rationale plugin, so the server
    ;; inserts a why-comment skeleton above the unit.
    (e2e-replace "return url" "return url.lower()")
    (e2e-send-changes)
    (goto-char (point-min))
    (search-forward "url.lower")
    (let* ((actions (jsonrpc-request server :textDocument/codeAction
                                     `(:textDocument (:uri ,(eglot--path-to-uri file))
                                       :range (:start ,(eglot--pos-to-lsp-position)
                                               :end ,(eglot--pos-to-lsp-position))
                                       :context (:diagnostics []))))
           (explain (seq-find (lambda (a) (string-prefix-p "Explain" (plist-get a :title))) actions))
           (command (plist-get explain :command)))
      (e2e-check "a code action offers to explain `Session.send'"
                 (equal (plist-get explain :title) "Explain the change to `Session.send`…") actions)
      (when command
        (eglot-execute-command server (plist-get command :command) (plist-get command :arguments))))
    (e2e-check "explain inserts a why-comment skeleton above the method"
               (e2e-wait "the skeleton" (lambda () (string-match-p "\n    # why: \n    def send" (buffer-string))))
               (buffer-string))
    (goto-char (point-min))
    (search-forward "# why: ")
    (insert "hosts compare case-insensitively")
    (save-buffer)
    (e2e-check "the completed why-comment is recorded and removed"
               (e2e-wait "the second rationale"
                         (lambda () (and (= (length (e2e-rationales)) 2)
                                         (not (string-match-p "why:" (buffer-string))))))
               (list (buffer-string) (e2e-rationales)))
    (let ((record (car (last (e2e-rationales)))))
      (e2e-check "the second pair is the method, explained by the typed text"
                 (and (equal (alist-get 'name (alist-get 'unit record)) "Session.send")
                      (equal (alist-get 'text record) "hosts compare case-insensitively")
                      (equal (alist-get 'via record) "why-comment")
                      (equal (alist-get 'after record) "def send(self, url):\n        return url.lower()"))
                 record))
    (eglot-shutdown server)
    ;; eglot kills the server right after `exit': the journal ended at `shutdown'.
    (let ((last (car (last (e2e-journal)))))
      (e2e-check "the journal ends with an `end' record `shutdown'"
                 (and (equal (alist-get 'type last) "end") (equal (alist-get 'reason last) "shutdown"))
                 last))
    ;; The journal replays to every saved text, the server's edits included.
    (with-temp-buffer
      (let ((code (call-process e2e-server nil t nil "verify" e2e-workspace)))
        (e2e-check "`rationale verify' accepts the journal" (eql code 0) (buffer-string))))))

(condition-case err
    (e2e-run)
  (error (e2e-check "the scenario runs to its end" nil err)))
(princ (format "%d passed, %d failed\n" e2e-passed e2e-failed))
(kill-emacs (if (and (> e2e-passed 0) (= e2e-failed 0)) 0 1))
