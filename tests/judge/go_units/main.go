// The independent judge's view of a Go file: its units and each unit's own-token signature.
//
// Usage: go_units [--tokens] FILE...  ->  one JSON object on stdout,
// {FILE: {"units": [...]}} or {FILE: {"error": "..."}} for a file with syntax errors.
//
// Written from the product's rules (README "Units and prompts", grammars/go/units.scm's notes),
// not from the server's code; the parser is Go's own go/parser and go/scanner, not tree-sitter.
// Units:
//   - functions (`function`) and methods (`method`), a method named by its receiver's type and
//     its name, `Cart.Total`, a pointer or generic receiver giving the type's name alone; a unit
//     runs from `func` to the end of the body (its doc comment is not part of it);
//   - type declarations: a declaration of one type is one unit from `type` to its end; each type
//     of a grouped declaration, `type ( ... )`, is a unit from its name to its end. A struct type
//     is a `struct`, an interface type an `interface`, anything else (an alias included) a `type`.
//     Types declared inside a function are units nested in it.
//
// Function literals are not units. Own tokens: every token's exact text (the semicolons Go
// inserts at line ends are not tokens of the text), every comment's lines trimmed, whitespace
// not at all; a unit's own tokens are those inside it and in no nested unit.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"sort"
	"strings"
)

type unit struct {
	Name      string      `json:"name"`
	Kind      string      `json:"kind"`
	Start     int         `json:"start"`
	End       int         `json:"end"`
	Signature string      `json:"signature"`
	Tokens    interface{} `json:"tokens"`
	parent    int
	kids      []int
	own       []string
}

type result struct {
	Units []unit `json:"units,omitempty"`
	Error string `json:"error,omitempty"`
}

func receiverType(expr ast.Expr) string {
	for {
		switch e := expr.(type) {
		case *ast.StarExpr:
			expr = e.X
		case *ast.IndexExpr:
			expr = e.X
		case *ast.IndexListExpr:
			expr = e.X
		case *ast.ParenExpr:
			expr = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

func typeKind(spec *ast.TypeSpec) string {
	if spec.Assign.IsValid() {
		return "type"
	}
	switch spec.Type.(type) {
	case *ast.StructType:
		return "struct"
	case *ast.InterfaceType:
		return "interface"
	}
	return "type"
}

func analyse(path string, withTokens bool) ([]unit, error) {
	source, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, source, parser.ParseComments|parser.AllErrors)
	if err != nil {
		return nil, err
	}
	offset := func(pos token.Pos) int { return fset.Position(pos).Offset }
	var found []unit
	ast.Inspect(file, func(node ast.Node) bool {
		switch n := node.(type) {
		case *ast.FuncDecl:
			u := unit{Name: n.Name.Name, Kind: "function", Start: offset(n.Type.Func), End: offset(n.End())}
			if n.Recv != nil && len(n.Recv.List) == 1 {
				u.Kind = "method"
				u.Name = receiverType(n.Recv.List[0].Type) + "." + n.Name.Name
			}
			found = append(found, u)
		case *ast.GenDecl:
			if n.Tok != token.TYPE {
				return true
			}
			if len(n.Specs) == 1 {
				spec := n.Specs[0].(*ast.TypeSpec)
				found = append(found, unit{Name: spec.Name.Name, Kind: typeKind(spec), Start: offset(n.Pos()), End: offset(n.End())})
				return true
			}
			for _, s := range n.Specs {
				spec := s.(*ast.TypeSpec)
				found = append(found, unit{Name: spec.Name.Name, Kind: typeKind(spec), Start: offset(spec.Pos()), End: offset(spec.End())})
			}
		}
		return true
	})
	sort.SliceStable(found, func(i, j int) bool { return found[i].Start < found[j].Start })
	units := []unit{{Name: "<module>", Kind: "module", Start: 0, End: len(source), parent: -1}}
	stack := []int{0}
	for _, u := range found {
		for len(stack) > 1 && units[stack[len(stack)-1]].End <= u.Start {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1]
		if parent != 0 {
			u.Name = units[parent].Name + "." + u.Name
		}
		u.parent = parent
		units = append(units, u)
		index := len(units) - 1
		units[parent].kids = append(units[parent].kids, index)
		stack = append(stack, index)
	}
	var scan scanner.Scanner
	tokFile := token.NewFileSet().AddFile(path, -1, len(source))
	scan.Init(tokFile, source, nil, scanner.ScanComments)
	for {
		pos, tok, lit := scan.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue
		}
		start := tokFile.Offset(pos)
		var text string
		if tok == token.COMMENT {
			var lines []string
			for _, line := range strings.Split(lit, "\n") {
				lines = append(lines, strings.TrimSpace(line))
			}
			text = "comment:" + strings.Join(lines, "\n")
		} else if lit != "" {
			text = lit
		} else {
			text = tok.String()
		}
		owner := 0
		for {
			next := -1
			for _, k := range units[owner].kids {
				if units[k].Start <= start && start < units[k].End {
					next = k
					break
				}
			}
			if next < 0 {
				break
			}
			owner = next
		}
		units[owner].own = append(units[owner].own, text)
	}
	for i := range units {
		data, _ := json.Marshal(units[i].own)
		sum := sha256.Sum256(data)
		units[i].Signature = hex.EncodeToString(sum[:])[:16]
		if withTokens {
			units[i].Tokens = units[i].own
		} else {
			units[i].Tokens = len(units[i].own)
		}
	}
	return units, nil
}

func main() {
	withTokens := false
	out := map[string]result{}
	for _, arg := range os.Args[1:] {
		if arg == "--tokens" {
			withTokens = true
		}
	}
	for _, arg := range os.Args[1:] {
		if arg == "--tokens" {
			continue
		}
		units, err := analyse(arg, withTokens)
		if err != nil {
			out[arg] = result{Error: err.Error()}
		} else {
			out[arg] = result{Units: units}
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(data, '\n'))
}
